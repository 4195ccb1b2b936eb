import OrderedCollections

/// A question an agent asked a person, and everything that happened to it since.
///
/// The record is the session's whole state: the node stores it as one JSON document (`json`),
/// serves the same document on every route, and rebuilds it from that document after a restart
/// (`init(json:)`). Changes go through `SessionMachine`, never by assigning fields from a route.
public struct HumanSession: Sendable, Hashable {
    public var id: String
    /// The agent that asked; the result is published to `<subjectID>__human_intervention_results`.
    public var subjectID: String
    public var messageData: JSONValue
    /// The template a reply must satisfy, as written (compiled on use); nil accepts any object.
    public var templateSource: JSONValue?
    /// Where the prompt goes (`reception_channel_id`); `inbox` is built into every node.
    public var channelID: String
    public var expiresAt: Timestamp?
    public var status: SessionStatus
    public var dslExecutionID: JSONValue
    /// One more on every change: the cursor of long-polls and pushes.
    public var version: Int64
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// 1 for the first prompt; each re-prompt after an invalid reply adds one.
    public var round: Int
    /// How many times an invalid reply is answered with a new prompt before the session fails.
    public var maxReprompts: Int
    /// Why the last reply was refused (or why the session failed).
    public var errors: [MessageTemplateViolation]
    /// The validated reply.
    public var responseData: JSONValue?
    /// Quorum sessions: who may answer, and how many valid answers validate. Empty approvers
    /// and quorum 1: anyone with the link answers once.
    public var approvers: [String]
    public var quorum: Int
    public var approvals: [SessionApproval]
    public var declines: [SessionApproval]
    /// Why it was declined, rejected or failed.
    public var reason: String?
    /// The id of the result message, chosen when the session validates so that publishing it
    /// again after a crash is a duplicate, not a second result.
    public var resultMessageID: MessageID?
    public var resultPublished: Bool
    /// Channel delivery of the current round: attempts so far and when to try again.
    public var deliveryAttempts: Int
    public var nextDeliveryAt: Timestamp?
    /// Fields of the original system this node does not interpret, kept and served back.
    public var extra: JSONObject

    public init(
        id: String, subjectID: String, messageData: JSONValue, templateSource: JSONValue?, channelID: String, expiresAt: Timestamp?,
        createdAt: Timestamp, maxReprompts: Int = 2, approvers: [String] = [], quorum: Int = 1, dslExecutionID: JSONValue = .null,
        extra: JSONObject = [:]
    ) {
        self.id = id
        self.subjectID = subjectID
        self.messageData = messageData
        self.templateSource = templateSource
        self.channelID = channelID
        self.expiresAt = expiresAt
        self.status = .pending
        self.dslExecutionID = dslExecutionID
        self.version = 1
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.round = 1
        self.maxReprompts = maxReprompts
        self.errors = []
        self.responseData = nil
        self.approvers = approvers
        self.quorum = quorum
        self.approvals = []
        self.declines = []
        self.reason = nil
        self.resultMessageID = nil
        self.resultPublished = false
        self.deliveryAttempts = 0
        self.nextDeliveryAt = nil
        self.extra = extra
    }

    /// The compiled template; nil when there is none. A stored template compiled when the
    /// session was created, so this fails only if the stored document was edited by hand.
    public func template() throws(PlexusError) -> MessageTemplate? {
        guard let templateSource, templateSource != .null else { return nil }
        do {
            return try MessageTemplate(templateSource)
        } catch {
            throw PlexusError(.invalidField, "message_data_template: \(error)", pointer: "/message_data_template")
        }
    }

    /// The earliest moment the session needs the node's attention: its expiry, or the next
    /// delivery attempt while the prompt is not delivered. nil once final.
    public var nextDue: Timestamp? {
        guard !status.isFinal else { return nil }
        var due = expiresAt
        if status == .pending {
            let delivery = nextDeliveryAt ?? updatedAt
            due = due.map { min($0, delivery) } ?? delivery
        }
        return due
    }

    /// The topic the validated result is published to.
    public var resultTopic: String { subjectID + "__human_intervention_results" }
}
