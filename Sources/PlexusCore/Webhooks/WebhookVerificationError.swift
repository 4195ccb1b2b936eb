/// Why a signed webhook request was refused.
public struct WebhookVerificationError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case missingHeader = "missing-header"
        case invalidTimestamp = "invalid-timestamp"
        case timestampOutOfTolerance = "stale-timestamp"
        case noMatchingSignature = "bad-signature"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
