import PlexusCore

/// A question for a person: the body of `POST /v1/sessions`.
///
/// Only `subjectID` and `message` are required; everything else has the node's defaults (the
/// built-in `inbox` channel, no expiry, anyone may answer once).
public struct SessionRequest: Sendable, Hashable {
    /// The agent asking; the validated result is published to it.
    public var subjectID: String
    /// `message_data`: what the channel shows. Its `message` field is the text people read.
    public var message: JSONValue
    /// A JSON Schema the reply must satisfy (or `{"policy_input_schema": {...}}`); invalid replies
    /// are re-prompted with the errors.
    public var template: JSONValue?
    /// Which channel reaches the person (`reception_channel_id`); nil means the node's `inbox`.
    public var channelID: String?
    public var expiry: SessionExpiry?
    /// The client's own id for the session. Choosing it makes creation idempotent: resending the
    /// same request returns the existing session instead of asking twice.
    public var sessionID: String?
    /// How many times an invalid reply is re-prompted before the session fails.
    public var maxReprompts: Int?
    /// Named approvers; empty means anyone on the channel may answer.
    public var approvers: [String]
    /// How many approvers must answer validly (k of n); nil means one.
    public var quorum: Int?
    /// Kept with the session for the caller's own correlation (a workflow run, say).
    public var dslExecutionID: JSONValue?
    /// Further fields sent as they are; the node keeps unknown fields with the session.
    public var extra: JSONObject

    public init(
        subjectID: String,
        message: JSONValue,
        template: JSONValue? = nil,
        channelID: String? = nil,
        expiry: SessionExpiry? = nil,
        sessionID: String? = nil,
        maxReprompts: Int? = nil,
        approvers: [String] = [],
        quorum: Int? = nil,
        dslExecutionID: JSONValue? = nil,
        extra: JSONObject? = nil
    ) {
        self.subjectID = subjectID
        self.message = message
        self.template = template
        self.channelID = channelID
        self.expiry = expiry
        self.sessionID = sessionID
        self.maxReprompts = maxReprompts
        self.approvers = approvers
        self.quorum = quorum
        self.dslExecutionID = dslExecutionID
        self.extra = extra ?? JSONObject()
    }

    /// A plain-text question: `message_data` becomes `{"message": question}`.
    public init(subjectID: String, question: String, template: JSONValue? = nil, channelID: String? = nil, expiry: SessionExpiry? = nil) {
        self.init(subjectID: subjectID, message: ["message": .string(question)], template: template, channelID: channelID, expiry: expiry)
    }

    /// The request body, with only the fields that were set.
    public var json: JSONValue {
        var object = extra
        object["subject_id"] = .string(subjectID)
        object["message_data"] = message
        if let template { object["message_data_template"] = template }
        if let channelID { object["reception_channel_id"] = .string(channelID) }
        if let expiry {
            let field = expiry.field
            object[field.name] = field.value
        }
        if let sessionID { object["session_id"] = .string(sessionID) }
        if let maxReprompts { object["max_reprompts"] = .integer(Int64(maxReprompts)) }
        if !approvers.isEmpty { object["approvers"] = .array(approvers.map { .string($0) }) }
        if let quorum { object["quorum"] = .integer(Int64(quorum)) }
        if let dslExecutionID { object["dsl_execution_id"] = dslExecutionID }
        return .object(object)
    }
}
