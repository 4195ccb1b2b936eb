/// Why a signed webhook request was refused.
public typealias WebhookVerificationError = SignatureError<WebhookVerificationCode>

public enum WebhookVerificationCode: String, Sendable, Hashable, CaseIterable {
    case missingHeader = "missing-header"
    case invalidTimestamp = "invalid-timestamp"
    case timestampOutOfTolerance = "stale-timestamp"
    case noMatchingSignature = "bad-signature"
}
