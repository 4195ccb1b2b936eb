import Crypto
import Foundation

/// Signs webhook requests per Standard Webhooks: HMAC-SHA256 over `"<id>.<timestamp>.<body>"`,
/// sent as `v1,<base64>`, one signature per active secret.
public struct WebhookSigner: Sendable, Hashable {
    /// The current secret first, then any previous ones still honoured during a rotation.
    public var secrets: [WebhookSecret]

    public init(secrets: [WebhookSecret]) {
        self.secrets = secrets
    }

    /// The headers for one attempt. `now` is the attempt's time, passed in like every clock in the core.
    public func headers(id: String, now: Timestamp, body: [UInt8]) -> WebhookSignatureHeaders {
        let seconds = now.microseconds.floorDivided(by: 1_000_000)
        return WebhookSignatureHeaders(id: id, timestamp: seconds, signature: signature(id: id, timestamp: seconds, body: body))
    }

    /// The `webhook-signature` value: `v1,<sig>` for each secret, separated by spaces.
    public func signature(id: String, timestamp: Int64, body: [UInt8]) -> String {
        secrets.map { "v1," + Data(Self.mac(key: $0, id: id, timestamp: timestamp, body: body)).base64EncodedString() }
            .joined(separator: " ")
    }

    static func mac(key secret: WebhookSecret, id: String, timestamp: Int64, body: [UInt8]) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: secret.key))
        hmac.update(data: Array("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        return Array(hmac.finalize())
    }
}
