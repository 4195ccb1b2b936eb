/// A click on one of the buttons `SlackMessage` put in a channel, as Slack reports it to the node's
/// interactivity endpoint (`POST /v1/channels/{id}/slack/interactions`).
///
/// Parse only a body whose `SlackSignature.verify` passed: the session id and the reply come from
/// the button's `value`, which is trusted because Slack signed the request that carries it.
public struct SlackInteraction: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        /// An answer button: the reply (`response_data`) it stands for, still to be validated
        /// against the session's template like any other reply.
        case answer(JSONValue)
        case decline
        /// The "Open form" link. Slack reports link clicks as well; acknowledge them and do nothing.
        case openForm
    }

    public var sessionID: String
    public var action: Action
    /// Who clicked: the Slack `username`, else `name`, else the user id. Recorded as the approver.
    public var user: String
    /// Slack's `response_url` for this message, when given: where the shell may post an update
    /// (e.g. "answered by …"). It comes from the payload, so check it is a Slack host before use.
    public var responseURL: String?

    public init(sessionID: String, action: Action, user: String, responseURL: String? = nil) {
        self.sessionID = sessionID
        self.action = action
        self.user = user
        self.responseURL = responseURL
    }

    /// Limits on the payload JSON. Slack echoes the whole message in the payload, blocks included,
    /// which nests about ten deep; the value of a button is small.
    static let payloadLimits = JSONLimits(maxDepth: 32)

    /// Reads the raw form body: its `payload` field is the interaction JSON (`type: block_actions`),
    /// whose first action's `action_id` and `value` are what `SlackMessage` set on the button.
    public static func parse(formBody: [UInt8]) throws(PlexusError) -> SlackInteraction {
        let fields = try FormURLEncoded.decode(formBody)
        guard let text = fields.first(where: { $0.0 == "payload" })?.1 else {
            throw PlexusError(.invalidField, "the form has no \"payload\" field")
        }
        let payload = try json(text, what: "the payload field", pointer: "")
        guard let type = payload["type"]?.stringValue else {
            throw PlexusError(.invalidField, "the payload has no \"type\"", pointer: "/type")
        }
        guard type == "block_actions" else {
            throw PlexusError(.invalidField, "payload type \(MessageTemplateText.brief(.string(type))) is not block_actions", pointer: "/type")
        }
        guard let action = payload["actions"]?.arrayValue?.first else {
            throw PlexusError(.invalidField, "the payload has no actions", pointer: "/actions")
        }
        guard let actionID = action["action_id"]?.stringValue else {
            throw PlexusError(.invalidField, "the action has no action_id", pointer: "/actions/0/action_id")
        }
        guard let valueText = action["value"]?.stringValue else {
            throw PlexusError(.invalidField, "the action has no value; it is not a Plexus button", pointer: "/actions/0/value")
        }
        let value = try json(valueText, what: "the button value", pointer: "/actions/0/value")
        guard let sessionID = value["s"]?.stringValue, !sessionID.isEmpty else {
            throw PlexusError(.invalidField, "the button value names no session (\"s\")", pointer: "/actions/0/value")
        }
        let user = payload["user"]
        guard let name = [user?["username"], user?["name"], user?["id"]].lazy.compactMap({ $0?.stringValue }).first(where: { !$0.isEmpty })
        else {
            throw PlexusError(.invalidField, "the payload names no user", pointer: "/user")
        }
        return SlackInteraction(
            sessionID: sessionID, action: try Self.action(actionID, value), user: name,
            responseURL: payload["response_url"]?.stringValue)
    }

    private static func action(_ actionID: String, _ value: JSONValue) throws(PlexusError) -> Action {
        switch actionID {
        case SlackMessage.declineActionID:
            return .decline
        case SlackMessage.openFormActionID:
            return .openForm
        case _ where actionID.hasPrefix(SlackMessage.answerActionPrefix):
            guard let reply = value["r"], case .object = reply else {
                throw PlexusError(.invalidField, "the answer button carries no reply object (\"r\")", pointer: "/actions/0/value")
            }
            return .answer(reply)
        default:
            throw PlexusError(
                .invalidField, "action_id \(MessageTemplateText.brief(.string(actionID))) is not a Plexus button", pointer: "/actions/0/action_id")
        }
    }

    private static func json(_ text: String, what: String, pointer: String) throws(PlexusError) -> JSONValue {
        do {
            return try JSONParser.parse(text, limits: payloadLimits)
        } catch {
            let code: PlexusError.Code = error.code == .tooDeep ? .tooDeep : .invalidJSON
            throw PlexusError(code, "\(what) is not valid JSON: \(error.message)", pointer: pointer.isEmpty ? nil : pointer)
        }
    }
}
