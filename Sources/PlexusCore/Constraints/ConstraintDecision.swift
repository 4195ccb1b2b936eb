/// The record of one check, stored with the message as `policy_decision`:
/// `{"decision": "allowed"|"denied"|"routed"|"tagged", "rule", "action", "reason", "applied": [...],
/// "routed_from", "tags", "config"}`. Built while the checker runs.
struct ConstraintDecision {
    var revision: String
    var applied: [String] = []
    var rule: String?
    var action: String?
    var routedFrom: Topic?
    var tags: JSONObject = [:]

    mutating func note(_ rule: String) {
        if !applied.contains(rule) { applied.append(rule) }
    }

    mutating func decide(rule: String, action: String) {
        self.rule = rule
        self.action = action
    }

    mutating func routed(from: Topic, to: Topic, by policy: String) {
        if routedFrom == nil { routedFrom = from }
        note("policies/\(policy)")
        decide(rule: "policies/\(policy)", action: "route")
    }

    mutating func tagged(_ added: JSONObject, by policy: String) {
        for (key, value) in added { tags[key] = value }
        note("policies/\(policy)")
        if action != "route" { decide(rule: "policies/\(policy)", action: "tag") }
    }

    func json(outcome: String, reason: String? = nil, details: JSONObject = [:]) -> JSONObject {
        var object: JSONObject = ["decision": .string(outcome)]
        object["rule"] = rule.map { .string($0) } ?? .null
        object["action"] = action.map { .string($0) } ?? .null
        if let reason { object["reason"] = .string(reason) }
        object["applied"] = .array(applied.map { .string($0) })
        if let routedFrom { object["routed_from"] = .string(routedFrom.value) }
        if !tags.isEmpty { object["tags"] = .object(tags) }
        for (key, value) in details { object[key] = value }
        object["config"] = .string(revision)
        return object
    }

    /// The envelope with its decision, or unchanged when no rule applied (so unconstrained
    /// topics keep the original wire shape).
    func attach(to envelope: Envelope) -> Envelope {
        guard !applied.isEmpty || rule != nil else { return envelope }
        var envelope = envelope
        let outcome = routedFrom != nil ? "routed" : (!tags.isEmpty ? "tagged" : "allowed")
        envelope.policyDecision = json(outcome: outcome)
        return envelope
    }

    func deny(_ envelope: Envelope, rule: String, action: String, reason: String, code: PlexusError.Code, pointer: String?,
              details: JSONObject = [:]) -> ConstraintOutcome {
        var decision = self
        decision.decide(rule: rule, action: action)
        var envelope = envelope
        envelope.policyDecision = decision.json(outcome: "denied", reason: reason, details: details)
        return .denied(envelope, PlexusError(code, reason, pointer: pointer))
    }
}
