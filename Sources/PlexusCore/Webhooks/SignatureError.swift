/// Why a signed request was refused (a webhook delivery, a Slack callback): a code a caller can
/// match on and a message naming what is wrong. Each kind of signature has its own codes.
public struct SignatureError<Kind: RawRepresentable & Sendable & Hashable>: Error, Sendable, Hashable, CustomStringConvertible
where Kind.RawValue == String {
    public typealias Code = Kind

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
