import Crypto
import Foundation

/// Checks a Standard Webhooks signature: what a receiver does, used by the tests and by inbound
/// callbacks. A request passes when its timestamp is within `tolerance` of `now` (stopping
/// replays of captured requests) and any `v1` signature in the header matches any secret
/// (rotation on either side).
public struct WebhookVerifier: Sendable, Hashable {
    public var secrets: [WebhookSecret]
    /// How far the timestamp may be from `now`, either way.
    public var tolerance: Duration

    public init(secrets: [WebhookSecret], tolerance: Duration = .seconds(300)) {
        self.secrets = secrets
        self.tolerance = tolerance
    }

    /// Headers as received (any may be missing); throws the first reason to refuse.
    public func verify(
        id: String?, timestamp: String?, signature: String?, body: [UInt8], now: Timestamp
    ) throws(WebhookVerificationError) {
        guard let id, !id.isEmpty, let timestamp, let signature else {
            throw WebhookVerificationError(.missingHeader, "webhook-id, webhook-timestamp and webhook-signature are all required")
        }
        guard timestamp.utf8.count <= 12, timestamp.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let seconds = Int64(timestamp) else {
            throw WebhookVerificationError(.invalidTimestamp, "webhook-timestamp \"\(timestamp.prefix(20))\" is not unix seconds")
        }
        let toleranceSeconds = tolerance.components.seconds
        let nowSeconds = now.microseconds.floorDivided(by: 1_000_000)
        if seconds < nowSeconds - toleranceSeconds {
            throw WebhookVerificationError(.timestampOutOfTolerance, "webhook-timestamp is \(nowSeconds - seconds) s old; at most \(toleranceSeconds) s is accepted")
        }
        if seconds > nowSeconds + toleranceSeconds {
            throw WebhookVerificationError(.timestampOutOfTolerance, "webhook-timestamp is \(seconds - nowSeconds) s in the future; at most \(toleranceSeconds) s is accepted")
        }
        var message = Array("\(id).\(seconds).".utf8)
        message.append(contentsOf: body)
        for candidate in signature.split(separator: " ") {
            guard candidate.hasPrefix("v1,"), let mac = Data(base64Encoded: String(candidate.dropFirst(3))) else { continue }
            for secret in secrets {
                // Constant time: a receiver that returns early on the first differing byte tells
                // an attacker how much of a forged signature was right.
                if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: SymmetricKey(data: secret.key)) {
                    return
                }
            }
        }
        throw WebhookVerificationError(.noMatchingSignature, "no v1 signature in webhook-signature matches")
    }
}
