/// What a channel shows a person for one round of a human-in-the-loop session: the question,
/// the form its answer must fill, what was wrong with the last answer, and where to answer.
///
/// Every channel kind (webhook, Slack, Teams, email, mesh, inbox) renders the same prompt in its
/// own format; the formatting is pure so it can be tested without a receiver.
public struct ChannelPrompt: Sendable, Hashable {
    public var sessionID: String
    /// The agent (subject) that asked.
    public var subjectID: String
    /// The session's `message_data`: the question and its context, as the agent wrote it.
    public var message: JSONValue
    /// The template a reply must satisfy; nil accepts any JSON object.
    public var template: MessageTemplate?
    /// Why the previous reply was refused (empty on the first round).
    public var errors: [MessageTemplateViolation]
    /// 1 for the first prompt, 2 for the first re-prompt, and so on.
    public var round: Int
    /// Where a channel POSTs `{"session_id", "response_data"}` (single-use token included).
    public var responseURL: String
    /// The node's web inbox page for this session (single-use token included).
    public var inboxURL: String
    /// When the session expires unanswered; nil for never.
    public var expiresAt: Timestamp?
    /// The approvers still asked (quorum sessions); empty when anyone may answer.
    public var approvers: [String]

    public init(
        sessionID: String, subjectID: String, message: JSONValue, template: MessageTemplate?, errors: [MessageTemplateViolation] = [],
        round: Int = 1, responseURL: String, inboxURL: String, expiresAt: Timestamp? = nil, approvers: [String] = []
    ) {
        self.sessionID = sessionID
        self.subjectID = subjectID
        self.message = message
        self.template = template
        self.errors = errors
        self.round = round
        self.responseURL = responseURL
        self.inboxURL = inboxURL
        self.expiresAt = expiresAt
        self.approvers = approvers
    }

    /// The human-readable question: `message_data.message` (or `.text`, `.question`) when it is a
    /// string, else the whole `message_data` as compact JSON.
    public var text: String {
        if case .object(let object) = message {
            for key in ["message", "text", "question"] {
                if case .string(let text)? = object[key] { return text }
            }
        }
        return String(decoding: message.serialized(), as: UTF8.self)
    }
}
