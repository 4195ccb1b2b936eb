import OrderedCollections

/// The unit that Plexus ingests, logs, routes and delivers. Field names on the wire are those of
/// the original system's `message_exchange` table (ARCHITECTURE.md), so existing readers keep working.
public struct Envelope: Sendable, Hashable {
    public var messageID: MessageID
    public var originTS: Timestamp
    /// Set when the first node durably accepted the message.
    public var ackTS: Timestamp?
    public var topic: Topic
    public var messageType: String
    public var sourceSubjectID: String?
    /// Recipients; empty means topic fan-out only.
    public var destinationSubjectIDs: [String]
    public var messageData: JSONValue
    public var messageMetadata: JSONObject
    public var hops: [Hop]
    /// Why the origin node let the message in (or not): the rules that applied, the action taken
    /// and the reason, set by the constraint checker (`ConstraintSet`). Nil when no rule applied.
    /// Travels with the message so every node's log shows it; clients cannot set it.
    public var policyDecision: JSONObject?

    public static let defaultMessageType = "message"

    public init(
        messageID: MessageID,
        originTS: Timestamp,
        ackTS: Timestamp? = nil,
        topic: Topic,
        messageType: String = Envelope.defaultMessageType,
        sourceSubjectID: String? = nil,
        destinationSubjectIDs: [String] = [],
        messageData: JSONValue = .null,
        messageMetadata: JSONObject = [:],
        hops: [Hop] = [],
        policyDecision: JSONObject? = nil
    ) {
        self.policyDecision = policyDecision
        self.messageID = messageID
        self.originTS = originTS
        self.ackTS = ackTS
        self.topic = topic
        self.messageType = messageType
        self.sourceSubjectID = sourceSubjectID
        self.destinationSubjectIDs = destinationSubjectIDs
        self.messageData = messageData
        self.messageMetadata = messageMetadata
        self.hops = hops
    }

    /// Every subject this message concerns: its sender and its recipients. Queries by subject and
    /// stream filters by subject match any of them.
    public var subjects: [String] {
        var all = destinationSubjectIDs
        if let sourceSubjectID, !all.contains(sourceSubjectID) { all.insert(sourceSubjectID, at: 0) }
        return all
    }

    /// `subjects`, each once: a recipient list may name someone twice, and the logs' subject
    /// indexes hold one row per subject and message.
    public var distinctSubjects: [String] {
        let subjects = subjects
        if subjects.count <= 8 {
            var distinct: [String] = []
            for subject in subjects where !distinct.contains(subject) { distinct.append(subject) }
            return distinct
        }
        var seen: Set<String> = []
        return subjects.filter { seen.insert($0).inserted }
    }

    public func concerns(subject: String) -> Bool {
        sourceSubjectID == subject || destinationSubjectIDs.contains(subject)
    }

    /// The wire form: every field present (`null` where unset), in the table's column order.
    public var json: JSONValue {
        var object: JSONObject = [:]
        object.reserveCapacity(11)
        object["message_uuid"] = .string(messageID.description)
        object["origin_ts"] = .string(originTS.rfc3339)
        object["ack_ts"] = ackTS.map { .string($0.rfc3339) } ?? .null
        object["topic"] = .string(topic.value)
        object["message_type"] = .string(messageType)
        object["source_subject_id"] = sourceSubjectID.map { .string($0) } ?? .null
        object["destination_subject_ids"] = .array(destinationSubjectIDs.map { .string($0) })
        object["message_data"] = messageData
        object["message_metadata"] = .object(messageMetadata)
        object["hops"] = .array(hops.map(\.json))
        // Only when a rule applied, so messages on unconstrained topics keep the original shape.
        if let policyDecision { object["policy_decision"] = .object(policyDecision) }
        return .object(object)
    }
}
