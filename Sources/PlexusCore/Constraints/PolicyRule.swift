/// A policy (`/v1/policies/{name}`): an expression over the envelope and an action.
///
/// Body: `{"when": "<expression>", "action": "allow"|"deny"|"route"|"tag", "reason": "...",
/// "topic": "<route-to topic>", "tags": {<metadata>}, "priority": 100, "topics": [patterns]}`.
/// Policies run in (priority, name) order over the message as the earlier ones left it. The first
/// matching `allow` or `deny` ends the run; `route` changes the topic; `tag` merges `tags` into
/// `message_metadata`. An expression that fails to evaluate (a runtime type error, the cost bound)
/// denies: a policy that cannot decide must not let a message through.
public struct PolicyRule: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        case allow
        case deny(reason: String)
        case route(Topic)
        case tag(JSONObject)

        var name: String {
            switch self {
            case .allow: "allow"
            case .deny: "deny"
            case .route: "route"
            case .tag: "tag"
            }
        }
    }

    public var name: String
    public var condition: PolicyExpression
    public var action: Action
    public var priority: Int64
    public var topics: [TopicPattern]?

    /// What an expression may refer to. `source_subject_id` is "" when the message has none.
    public static let declarations: [String: PolicyType] = [
        "topic": .string, "message_type": .string, "source_subject_id": .string,
        "destination_subject_ids": .list(.string), "data": .dyn, "message_data": .dyn,
        "metadata": .map(.dyn), "message_metadata": .map(.dyn),
        "organisation": .string, "ingress": .string, "node": .string,
    ]

    /// Evaluation budget of one policy for one message.
    public static let costLimit = 10_000

    static let fields: Set<String> = ["when", "action", "reason", "topic", "tags", "priority", "topics", "description"]

    public init(name: String, _ value: JSONValue) throws(PlexusError) {
        let body = try ConfigBody(value, what: "a policy", known: Self.fields)
        self.name = name
        let source = try body.string("when") ?? "true"
        do {
            condition = try PolicyExpression(source, declarations: Self.declarations)
        } catch {
            throw PlexusError(.invalidField, "\"when\": \(error)", pointer: "/when")
        }
        guard condition.resultType == .bool || condition.resultType == .dyn else {
            throw PlexusError(.invalidField, "\"when\" must be a condition (bool), not \(condition.resultType)", pointer: "/when")
        }
        let action = try body.string("action") ?? ""
        switch action {
        case "allow":
            self.action = .allow
        case "deny":
            self.action = .deny(reason: try body.string("reason") ?? "denied by policy \(name)")
        case "route":
            guard let text = try body.string("topic") else {
                throw PlexusError(.invalidField, "a route policy needs \"topic\", the topic to route to", pointer: "/topic")
            }
            do throws(PlexusError) { self.action = .route(try Topic(text)) } catch {
                throw PlexusError(.invalidField, error.message, pointer: "/topic")
            }
        case "tag":
            guard case .object(let tags)? = body.object["tags"], !tags.isEmpty else {
                throw PlexusError(.invalidField, "a tag policy needs \"tags\", a non-empty object merged into message_metadata", pointer: "/tags")
            }
            self.action = .tag(tags)
        default:
            throw PlexusError(.invalidField, "\"action\" must be allow, deny, route or tag, not \"\(action)\"", pointer: "/action")
        }
        priority = try body.integer("priority") ?? 100
        topics = try body.topicPatterns("topics")
    }

    /// The variables of an envelope as policies see them.
    static func bindings(_ envelope: Envelope, context: ConstraintContext) -> [String: JSONValue] {
        let metadata = JSONValue.object(envelope.messageMetadata)
        return [
            "topic": .string(envelope.topic.value), "message_type": .string(envelope.messageType),
            "source_subject_id": .string(envelope.sourceSubjectID ?? ""),
            "destination_subject_ids": .array(envelope.destinationSubjectIDs.map { .string($0) }),
            "data": envelope.messageData, "message_data": envelope.messageData,
            "metadata": metadata, "message_metadata": metadata,
            "organisation": .string(context.organisation), "ingress": .string(context.ingress), "node": .string(context.node),
        ]
    }
}
