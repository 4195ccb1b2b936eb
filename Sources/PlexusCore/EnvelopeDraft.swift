import Collections

/// A message as a client sent it, validated but not yet normalised: the id and origin time may be
/// missing until `IngestPipeline` fills them from `now` and the node's random source.
public struct EnvelopeDraft: Sendable, Hashable {
    public var messageID: MessageID?
    public var originTS: Timestamp?
    public var ackTS: Timestamp?
    public var topic: Topic
    public var messageType: String
    public var sourceSubjectID: String?
    public var destinationSubjectIDs: [String]
    public var messageData: JSONValue
    public var messageMetadata: JSONObject
    public var hops: [Hop]
    public var policyDecision: JSONObject?

    public init(topic: Topic) {
        self.topic = topic
        self.messageType = Envelope.defaultMessageType
        self.destinationSubjectIDs = []
        self.messageData = .null
        self.messageMetadata = [:]
        self.hops = []
    }

    /// Fills what the sender left out and stamps this node's hop.
    /// - Parameter addHop: appends `node` to `hops` (every node that logs a message does).
    public func normalized(node: String, now: Timestamp, rng: inout some RandomNumberGenerator, addHop: Bool = true) -> Envelope {
        Envelope(
            messageID: messageID ?? .v7(now: now, rng: &rng),
            originTS: originTS ?? now,
            ackTS: ackTS ?? now,
            topic: topic,
            messageType: messageType,
            sourceSubjectID: sourceSubjectID,
            destinationSubjectIDs: destinationSubjectIDs,
            messageData: messageData,
            messageMetadata: messageMetadata,
            hops: addHop ? hops + [Hop(node: node, ts: now)] : hops,
            policyDecision: policyDecision
        )
    }
}
