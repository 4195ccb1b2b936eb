/// Why a Slack interactivity callback was refused; the shell answers 403 (`forbidden`) with it.
public typealias SlackSignatureError = SignatureError<SlackSignatureCode>

public enum SlackSignatureCode: String, Sendable, Hashable, CaseIterable {
    /// No `X-Slack-Request-Timestamp` header.
    case missingTimestamp = "missing-timestamp"
    /// No `X-Slack-Signature` header.
    case missingSignature = "missing-signature"
    /// The timestamp is not unix seconds.
    case invalidTimestamp = "invalid-timestamp"
    /// The timestamp is older than the window allows: possibly a replayed request.
    case staleTimestamp = "stale-timestamp"
    /// The timestamp is further ahead than the window allows (a clock far off, or forged).
    case futureTimestamp = "future-timestamp"
    /// The signature is not `v0=` and 64 hex digits, or it does not match the body.
    case badSignature = "bad-signature"
}
