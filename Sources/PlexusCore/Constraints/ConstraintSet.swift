/// The constraint checker: the compiled form of the configuration's templates, ACLs, limits and
/// policies, applied to every message before anything is routed.
///
/// Compiled once per configuration change (never per message) and immutable, so every ingress
/// shares one value without locks. Only rate limits keep state; that lives in `RateLimiter`, fed
/// with the charges an accepted message must pay.
public struct ConstraintSet: Sendable {
    public private(set) var templates: [Topic: MessageTemplate] = [:]
    public private(set) var access: [AccessRule] = []
    public private(set) var limits: [LimitRule] = []
    /// In evaluation order: priority, then name.
    public private(set) var policies: [PolicyRule] = []
    /// Items that did not compile (written by a newer node, say), by key, with the reason. They
    /// are left out rather than stopping every other rule.
    public private(set) var problems: [ConfigKey: String] = [:]
    /// Which configuration this is (`ConfigState.constraintRevision`), named in each decision.
    public private(set) var revision: String = ""

    public static let empty = ConstraintSet()

    public init() {}

    public init(_ state: ConfigState) {
        revision = state.constraintRevision
        for item in state.items.values.sorted(by: { $0.key < $1.key }) {
            guard let value = item.value, item.key.section.constrains else { continue }
            do throws(PlexusError) {
                switch item.key.section {
                case .templates: templates[try Topic(item.key.name)] = try Self.template(value)
                case .acls: access.append(try AccessRule(name: item.key.name, value))
                case .limits: limits.append(try LimitRule(name: item.key.name, value))
                case .policies: policies.append(try PolicyRule(name: item.key.name, value))
                default: break
                }
            } catch {
                problems[item.key] = error.description
            }
        }
        policies.sort { ($0.priority, $0.name) < ($1.priority, $1.name) }
    }

    public var isEmpty: Bool { templates.isEmpty && access.isEmpty && limits.isEmpty && policies.isEmpty }

    /// Checks that `value` is a valid item for `key`, with the error a client is shown.
    public static func validate(_ key: ConfigKey, _ value: JSONValue) throws(PlexusError) {
        switch key.section {
        case .templates:
            _ = try Topic(key.name)
            _ = try template(value)
        case .acls: _ = try AccessRule(name: key.name, value)
        case .limits: _ = try LimitRule(name: key.name, value)
        case .policies: _ = try PolicyRule(name: key.name, value)
        default: break
        }
    }

    static func template(_ value: JSONValue) throws(PlexusError) -> MessageTemplate {
        do { return try MessageTemplate(value) } catch {
            throw PlexusError(.invalidField, "invalid template: \(error.message)", pointer: error.pointer.isEmpty ? nil : error.pointer)
        }
    }

    /// Runs every check on one message: ACLs, size limits and the topic's template, then
    /// policies (a route re-runs the first three for the new topic, so a route cannot carry a
    /// message past another topic's rules), then works out the rate-limit charges of the message
    /// as it will be logged. Pure: the same message, context and configuration always get the
    /// same outcome.
    public func evaluate(_ envelope: Envelope, context: ConstraintContext) -> ConstraintOutcome {
        var envelope = envelope
        envelope.policyDecision = nil
        guard !isEmpty else { return .accepted(envelope, charges: []) }
        var decision = ConstraintDecision(revision: revision)
        if let denied = checkTopic(envelope, context: context, decision: &decision) { return denied }
        // Built once, and again only after a policy changed the message.
        var bindings: [String: JSONValue]?
        for policy in policies where policy.topics.covers(envelope.topic) {
            if bindings == nil { bindings = PolicyRule.bindings(envelope, context: context) }
            let verdict = policy.condition.evaluateCondition(bindings!, costLimit: PolicyRule.costLimit)
            switch verdict {
            case .failure(let error):
                return decision.deny(envelope, rule: "policies/\(policy.name)", action: "error",
                                     reason: "policy \(policy.name) could not be evaluated, so it denies: \(error)", code: .forbidden, pointer: nil)
            case .success(false):
                continue
            case .success(true):
                break
            }
            switch policy.action {
            case .allow:
                decision.note("policies/\(policy.name)")
                decision.decide(rule: "policies/\(policy.name)", action: "allow")
                return .accepted(decision.attach(to: envelope), charges: charges(envelope, context: context))
            case .deny(let reason):
                return decision.deny(envelope, rule: "policies/\(policy.name)", action: "deny", reason: reason, code: .forbidden, pointer: nil)
            case .route(let topic):
                guard topic != envelope.topic else { continue }
                decision.routed(from: envelope.topic, to: topic, by: policy.name)
                envelope.topic = topic
                bindings = nil
                if let denied = checkTopic(envelope, context: context, decision: &decision) { return denied }
            case .tag(let tags):
                for (key, value) in tags { envelope.messageMetadata[key] = value }
                decision.tagged(tags, by: policy.name)
                bindings = nil
            }
        }
        return .accepted(decision.attach(to: envelope), charges: charges(envelope, context: context))
    }

    /// The checks bound to the message's topic and sender: ACLs, size limits, the template.
    func checkTopic(_ envelope: Envelope, context: ConstraintContext, decision: inout ConstraintDecision) -> ConstraintOutcome? {
        if !access.isEmpty, let denial = AccessRules(rules: access).denial(
            source: envelope.sourceSubjectID, organisation: context.organisation, topic: envelope.topic,
            recipients: envelope.destinationSubjectIDs, applied: &decision.applied) {
            return decision.deny(envelope, rule: denial.rule, action: "acl", reason: denial.reason, code: .forbidden, pointer: nil)
        }
        var dataBytes: Int?
        for limit in limits where limit.topics.covers(envelope.topic) {
            guard case .size(let maxBytes) = limit.kind else { continue }
            let size = dataBytes ?? envelope.messageData.serialized().count
            dataBytes = size
            if size > maxBytes {
                return decision.deny(envelope, rule: "limits/\(limit.name)", action: "size",
                                     reason: "message_data is \(size) bytes; limit \(limit.name) allows \(maxBytes) on topic \(envelope.topic.value)",
                                     code: .tooLarge, pointer: "/message_data")
            }
            decision.note("limits/\(limit.name)")
        }
        if let template = templates[envelope.topic] {
            let violations = template.validate(envelope.messageData)
            if let first = violations.first {
                let listed = violations.prefix(5).map(\.description).joined(separator: "; ")
                return decision.deny(envelope, rule: "templates/\(envelope.topic.value)", action: "validate",
                                     reason: "message_data does not satisfy the template of topic \(envelope.topic.value): \(listed)",
                                     code: .invalidData, pointer: "/message_data" + first.pointer,
                                     details: ["violations": .array(violations.map(\.json))])
            }
            decision.note("templates/\(envelope.topic.value)")
        }
        return nil
    }

    /// The tokens the message must take, one per rate limit covering its (final) topic.
    func charges(_ envelope: Envelope, context: ConstraintContext) -> [RateCharge] {
        limits.compactMap { limit in
            guard case .rate(let key, let rate, let burst) = limit.kind, limit.topics.covers(envelope.topic) else { return nil }
            return RateCharge(limit: limit.name, key: LimitRule.keyValue(key, of: envelope, context: context), ratePerSecond: rate, burst: burst)
        }
    }
}
