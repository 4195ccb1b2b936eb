import PlexusCore

/// Something that happened in the node that webhook receivers may want to hear about.
public struct WebhookEvent: Sendable, Hashable {
    /// Unique per event; sent as `webhook-id`, the receivers' key for dropping duplicates.
    public var id: String
    /// `validation.failed`, `policy.denied`, `policy.tagged`, `policy.routed`...
    public var kind: String
    /// The message topic the event concerns, if any; endpoints filter on it.
    public var topic: String?
    public var timestamp: Timestamp
    public var payload: JSONValue

    public init(id: String, kind: String, topic: String? = nil, timestamp: Timestamp, payload: JSONValue) {
        self.id = id
        self.kind = kind
        self.topic = topic
        self.timestamp = timestamp
        self.payload = payload
    }

    /// The request body, the Standard Webhooks envelope: `{"type", "timestamp", "data"}`. Built
    /// once at publish and stored, so every attempt sends (and signs) the same bytes.
    public func body() -> [UInt8] {
        let envelope: JSONObject = [
            "type": .string(kind),
            "timestamp": .string(timestamp.rfc3339),
            "data": payload,
        ]
        return JSONValue.object(envelope).serialized()
    }
}
