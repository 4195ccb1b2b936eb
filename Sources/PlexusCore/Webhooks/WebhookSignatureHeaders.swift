/// The three Standard Webhooks headers of one request.
public struct WebhookSignatureHeaders: Sendable, Hashable {
    public static let idName = "webhook-id"
    public static let timestampName = "webhook-timestamp"
    public static let signatureName = "webhook-signature"

    /// The message id: the same on every retry, so receivers can drop duplicates.
    public var id: String
    /// Unix seconds of this attempt (not of the event): receivers refuse old timestamps to stop
    /// replays, so each retry is signed anew.
    public var timestamp: Int64
    /// `v1,<base64>` per secret, space-separated.
    public var signature: String

    public init(id: String, timestamp: Int64, signature: String) {
        self.id = id
        self.timestamp = timestamp
        self.signature = signature
    }

    /// Name/value pairs in the order they are sent.
    public var fields: [(name: String, value: String)] {
        [(Self.idName, id), (Self.timestampName, String(timestamp)), (Self.signatureName, signature)]
    }
}
