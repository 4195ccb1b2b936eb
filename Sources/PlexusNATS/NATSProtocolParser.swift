import Foundation
import NIOCore

/// Turns the server's byte stream into `NATSServerOp`s. Pure: bytes in, ops out, no channel.
///
/// Reads arrive split anywhere (inside a control line, inside a payload, inside its CRLF) and
/// several ops may share one read, so the parser keeps what it has not used yet and resumes.
/// A MSG/HMSG control line is parsed once and remembered while its payload arrives, so a large
/// payload trickling in is not re-scanned on every read.
///
/// Every bound is checked before memory is spent: a line without an end is refused past
/// `maxControlLine` (INFO, which lists cluster URLs, gets `maxInfoLine`), a payload past
/// `maxPayload` is refused from its size field. After an error the framing is lost: the caller
/// must drop the connection (the parser resets so it never reports garbage as ops).
public struct NATSProtocolParser: Sendable {
    /// nats-server's own `max_control_line` default.
    public static let defaultMaxControlLine = 4096
    public static let defaultMaxInfoLine = 64 * 1024
    /// nats-server refuses a `max_payload` above 64 MiB, so a larger advertised value is a
    /// broken or hostile server; the parser never waits for more than this.
    public static let payloadCeiling = 64 * 1024 * 1024

    public var maxControlLine: Int
    public var maxInfoLine: Int
    /// The largest MSG/HMSG body accepted. Starts at the server default (1 MiB) and follows the
    /// `max_payload` of each INFO the parser reads.
    public var maxPayload: Int

    private var buffer = ByteBuffer()
    private var pending: MessageLine?

    struct MessageLine: Sendable {
        var subject: String
        var sid: Int
        var replyTo: String?
        var headerSize: Int?
        var totalSize: Int
    }

    enum ControlLine {
        case op(NATSServerOp)
        case message(MessageLine)
    }

    public init(
        maxControlLine: Int = defaultMaxControlLine, maxInfoLine: Int = defaultMaxInfoLine, maxPayload: Int = 1_048_576
    ) {
        self.maxControlLine = maxControlLine
        self.maxInfoLine = max(maxInfoLine, maxControlLine)
        self.maxPayload = min(maxPayload, Self.payloadCeiling)
    }

    /// Bytes received but not yet returned as ops (a partial op).
    public var bufferedBytes: Int { buffer.readableBytes }

    /// Adds received bytes; take ops out with `next()`.
    public mutating func append(_ bytes: ByteBuffer) {
        if buffer.readableBytes == 0 {
            // Taking the read buffer as is (no copy) is the common case: reads end on op ends.
            buffer = bytes
        } else {
            var bytes = bytes
            buffer.writeBuffer(&bytes)
        }
    }

    /// Appends `bytes` (consuming them) and returns every complete op. Convenient for tests; the
    /// channel handler uses `append`/`next` so that ops before a malformed one are still delivered.
    public mutating func feed(_ bytes: inout ByteBuffer) throws(NATSProtocolError) -> [NATSServerOp] {
        append(bytes)
        bytes.moveReaderIndex(to: bytes.writerIndex)
        var ops: [NATSServerOp] = []
        while let op = try next() { ops.append(op) }
        return ops
    }

    /// The next complete op, or nil until more bytes arrive.
    public mutating func next() throws(NATSProtocolError) -> NATSServerOp? {
        do {
            let op = try parseNext()
            if op == nil, buffer.readableBytes == 0 {
                // Let go of the storage that delivered payload slices still point into.
                buffer = ByteBuffer()
            }
            return op
        } catch {
            buffer = ByteBuffer()
            pending = nil
            throw error
        }
    }

    private mutating func parseNext() throws(NATSProtocolError) -> NATSServerOp? {
        if pending == nil {
            guard let line = try readControlLine() else { return nil }
            switch line {
            case .op(let op):
                if case .info(let info) = op, info.maxPayload > 0 {
                    maxPayload = min(info.maxPayload, Self.payloadCeiling)
                }
                return op
            case .message(let message):
                pending = message
            }
        }
        guard let message = pending, buffer.readableBytes >= message.totalSize + 2 else { return nil }
        pending = nil
        var body = buffer.readSlice(length: message.totalSize)!
        let terminator = buffer.readBytes(length: 2)!
        guard terminator == [13, 10] else {
            throw NATSProtocolError(
                .missingPayloadTerminator,
                "the \(message.totalSize)-byte payload on subject \(NATSProtocolError.excerpt(Array(message.subject.utf8))) is followed by \(NATSProtocolError.excerpt(terminator)) instead of CRLF"
            )
        }
        var headers: NATSHeaders?
        if let headerSize = message.headerSize {
            headers = try NATSHeaders.parse(body.readBytes(length: headerSize)!)
        }
        return .msg(NATSMessage(subject: message.subject, sid: message.sid, replyTo: message.replyTo, headers: headers, payload: body))
    }

    private mutating func readControlLine() throws(NATSProtocolError) -> ControlLine? {
        let readable = buffer.readableBytes
        guard readable > 0 else { return nil }
        let limit = startsWithInfo ? maxInfoLine : maxControlLine
        // A line of `limit` bytes plus its CRLF is the longest that may still be acceptable.
        let searchLength = min(readable, limit + 2)
        let newline = buffer.withUnsafeReadableBytes { bytes in
            UnsafeRawBufferPointer(rebasing: bytes[0..<searchLength]).firstIndex(of: 10)
        }
        guard let newline else {
            if readable >= limit + 2 {
                throw NATSProtocolError(.lineTooLong, "no line end within \(limit) bytes: \(NATSProtocolError.excerpt(buffer.getBytes(at: buffer.readerIndex, length: 40) ?? []))")
            }
            return nil
        }
        var line = buffer.readBytes(length: newline + 1)!
        line.removeLast()
        if line.last == 13 { line.removeLast() }
        if line.count > limit {
            throw NATSProtocolError(.lineTooLong, "control line of \(line.count) bytes exceeds \(limit): \(NATSProtocolError.excerpt(line.prefix(40)))")
        }
        return try parseControlLine(line)
    }

    private var startsWithInfo: Bool {
        let prefix = buffer.getBytes(at: buffer.readerIndex, length: min(4, buffer.readableBytes)) ?? []
        return Self.uppercased(prefix[...]).elementsEqual("INFO".utf8.prefix(prefix.count))
    }

    private func parseControlLine(_ line: [UInt8]) throws(NATSProtocolError) -> ControlLine {
        let fields = line.split(omittingEmptySubsequences: true) { $0 == 32 || $0 == 9 }
        guard let name = fields.first else {
            throw NATSProtocolError(.emptyLine, "empty control line")
        }
        let operation = String(decoding: Self.uppercased(name), as: UTF8.self)
        let rest = fields.count > 1 ? line[fields[1].startIndex...] : []
        switch operation {
        case "MSG":
            guard fields.count == 4 || fields.count == 5 else {
                throw NATSProtocolError(.malformedControlLine, "MSG needs <subject> <sid> [reply-to] <size>, got \(fields.count - 1) arguments: \(NATSProtocolError.excerpt(line))")
            }
            let size = try Self.size(fields[fields.count - 1], what: "MSG payload size", line: line)
            try checkPayload(size, line: line)
            return .message(MessageLine(
                subject: String(decoding: fields[1], as: UTF8.self), sid: try Self.sid(fields[2], line: line),
                replyTo: fields.count == 5 ? String(decoding: fields[3], as: UTF8.self) : nil, headerSize: nil, totalSize: size
            ))
        case "HMSG":
            guard fields.count == 5 || fields.count == 6 else {
                throw NATSProtocolError(.malformedControlLine, "HMSG needs <subject> <sid> [reply-to] <header size> <total size>, got \(fields.count - 1) arguments: \(NATSProtocolError.excerpt(line))")
            }
            let headerSize = try Self.size(fields[fields.count - 2], what: "HMSG header size", line: line)
            let totalSize = try Self.size(fields[fields.count - 1], what: "HMSG total size", line: line)
            guard headerSize <= totalSize else {
                throw NATSProtocolError(.headerSizeExceedsTotal, "HMSG header size \(headerSize) exceeds its total size \(totalSize): \(NATSProtocolError.excerpt(line))")
            }
            try checkPayload(totalSize, line: line)
            return .message(MessageLine(
                subject: String(decoding: fields[1], as: UTF8.self), sid: try Self.sid(fields[2], line: line),
                replyTo: fields.count == 6 ? String(decoding: fields[3], as: UTF8.self) : nil, headerSize: headerSize, totalSize: totalSize
            ))
        case "PING": return .op(.ping)
        case "PONG": return .op(.pong)
        case "+OK": return .op(.ok)
        case "-ERR": return .op(.err(Self.unquoted(rest)))
        case "INFO": return .op(.info(try Self.info(rest)))
        default:
            throw NATSProtocolError(.unknownOperation, "unknown operation \(NATSProtocolError.excerpt(name, limit: 20)) in \(NATSProtocolError.excerpt(line))")
        }
    }

    private func checkPayload(_ size: Int, line: [UInt8]) throws(NATSProtocolError) {
        guard size <= maxPayload else {
            throw NATSProtocolError(.payloadTooLarge, "message of \(size) bytes exceeds max_payload \(maxPayload): \(NATSProtocolError.excerpt(line))")
        }
    }

    private static func info(_ json: ArraySlice<UInt8>) throws(NATSProtocolError) -> NATSServerInfo {
        do {
            return try JSONDecoder().decode(NATSServerInfo.self, from: Data(json))
        } catch {
            throw NATSProtocolError(.invalidInfo, "INFO is not a valid server description (\(error)): \(NATSProtocolError.excerpt(json))")
        }
    }

    private static func sid(_ field: ArraySlice<UInt8>, line: [UInt8]) throws(NATSProtocolError) -> Int {
        guard let value = number(field) else {
            throw NATSProtocolError(.invalidSID, "sid \(NATSProtocolError.excerpt(field, limit: 20)) is not a number (this client only issues numeric sids): \(NATSProtocolError.excerpt(line))")
        }
        return value
    }

    private static func size(_ field: ArraySlice<UInt8>, what: String, line: [UInt8]) throws(NATSProtocolError) -> Int {
        guard let value = number(field) else {
            throw NATSProtocolError(.invalidSize, "\(what) \(NATSProtocolError.excerpt(field, limit: 20)) is not a non-negative number: \(NATSProtocolError.excerpt(line))")
        }
        return value
    }

    /// Decimal digits only, at most 18 of them (no sign, no overflow).
    private static func number(_ field: ArraySlice<UInt8>) -> Int? {
        guard !field.isEmpty, field.count <= 18 else { return nil }
        var value = 0
        for byte in field {
            guard byte >= 48, byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    /// `-ERR 'Authorization Violation'` → `Authorization Violation`.
    private static func unquoted(_ text: ArraySlice<UInt8>) -> String {
        var slice = text
        while let last = slice.last, last == 32 || last == 9 { slice = slice.dropLast() }
        if slice.count >= 2, slice.first == 39, slice.last == 39 { slice = slice.dropFirst().dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }

    private static func uppercased(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        bytes.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }
    }
}
