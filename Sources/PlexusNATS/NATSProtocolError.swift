/// Why bytes from the server could not be read as NATS protocol. The connection that produced
/// them cannot be trusted any more (the parser has lost its framing), so the shell closes it and
/// reconnects; the message says what was wrong so the log explains the reconnect.
public struct NATSProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case emptyLine = "empty-line"
        case lineTooLong = "line-too-long"
        case unknownOperation = "unknown-operation"
        case malformedControlLine = "malformed-control-line"
        case invalidSize = "invalid-size"
        case invalidSID = "invalid-sid"
        case payloadTooLarge = "payload-too-large"
        case headerSizeExceedsTotal = "header-size-exceeds-total"
        case missingPayloadTerminator = "missing-payload-terminator"
        case invalidHeaders = "invalid-headers"
        case invalidInfo = "invalid-info"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "NATS protocol error \(code.rawValue): \(message)" }

    /// A printable, bounded rendering of untrusted bytes for an error message: a hostile or
    /// broken server must not be able to inject line ends into our logs or make them huge.
    static func excerpt(_ bytes: some Collection<UInt8>, limit: Int = 80) -> String {
        var text = ""
        for byte in bytes.prefix(limit) {
            if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else if byte == UInt8(ascii: "\\") {
                text += "\\\\"
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        if bytes.count > limit { text += "…" }
        return "\"" + text + "\""
    }
}
