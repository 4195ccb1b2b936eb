/// An ACL: which senders may publish to which topics and send to which subjects.
///
/// A rule governs the topics its `topics` patterns match and the recipients its `subjects` globs
/// match. Anything no rule governs is open. A matching `deny` rule always wins; where `allow`
/// rules govern, a sender must match one of them: once an operator writes an allow ACL for
/// `finance.>`, only the senders it names may publish there. A lone `deny` rule blocks only the
/// senders it names. `sources` match the `source_subject_id` a client declares: an ACL is as strong
/// as the authentication in front of the node.
///
/// Body: `{"effect": "allow"|"deny", "sources": [subject globs], "organisations": [globs],
/// "topics": [topic patterns], "subjects": [subject globs], "description": "..."}`.
public struct AccessRule: Sendable, Hashable {
    public enum Effect: String, Sendable, Hashable { case allow, deny }

    public var name: String
    public var effect: Effect
    /// Sender subject ids (`*` globs); nil matches every sender, also one without a subject id.
    public var sources: [String]?
    /// Organisations of the origin node (`*` globs); nil matches every organisation.
    public var organisations: [String]?
    public var topics: [TopicPattern]?
    public var subjects: [String]?

    static let fields: Set<String> = ["effect", "sources", "organisations", "topics", "subjects", "description"]

    public init(name: String, _ value: JSONValue) throws(PlexusError) {
        let body = try ConfigBody(value, what: "an ACL", known: Self.fields)
        self.name = name
        let effect = try body.string("effect") ?? "allow"
        guard let parsed = Effect(rawValue: effect) else {
            throw PlexusError(.invalidField, "\"effect\" must be \"allow\" or \"deny\", not \"\(effect)\"", pointer: "/effect")
        }
        self.effect = parsed
        sources = try body.strings("sources")
        organisations = try body.strings("organisations")
        topics = try body.topicPatterns("topics")
        subjects = try body.strings("subjects")
        if topics == nil && subjects == nil {
            throw PlexusError(.invalidField, "an ACL must name the \"topics\" or the \"subjects\" it governs")
        }
    }

    func matchesSender(_ source: String?, organisation: String) -> Bool {
        if let sources {
            guard let source, sources.contains(where: { Glob.matches(pattern: Array($0.utf8), Array(source.utf8)) }) else { return false }
        }
        if let organisations {
            guard organisations.contains(where: { Glob.matches(pattern: Array($0.utf8), Array(organisation.utf8)) }) else { return false }
        }
        return true
    }

    func governs(topic: Topic) -> Bool { topics?.covers(topic) ?? false }

    func governs(subject: String) -> Bool {
        subjects?.contains { Glob.matches(pattern: Array($0.utf8), Array(subject.utf8)) } ?? false
    }
}

/// The ACLs in force, checked together.
struct AccessRules: Sendable {
    var rules: [AccessRule]

    /// The rule that denies the message, with the reason; nil when it may pass. `applied` gets
    /// the names of the rules that let it through.
    func denial(source: String?, organisation: String, topic: Topic, recipients: [String],
                applied: inout [String]) -> (rule: String, reason: String)? {
        let sender = source.map { "sender \($0)" } ?? "a sender without source_subject_id"
        if let denial = decide(rules.filter { $0.governs(topic: topic) }, source: source, organisation: organisation,
                               what: "publish to topic \(topic.value)", sender: sender, applied: &applied) {
            return denial
        }
        for recipient in recipients {
            if let denial = decide(rules.filter { $0.governs(subject: recipient) }, source: source, organisation: organisation,
                                   what: "send to subject \(recipient)", sender: sender, applied: &applied) {
                return denial
            }
        }
        return nil
    }

    private func decide(_ governing: [AccessRule], source: String?, organisation: String, what: String, sender: String,
                        applied: inout [String]) -> (rule: String, reason: String)? {
        guard !governing.isEmpty else { return nil }
        let matching = governing.filter { $0.matchesSender(source, organisation: organisation) }
        if let deny = matching.first(where: { $0.effect == .deny }) {
            return ("acls/\(deny.name)", "ACL \(deny.name) denies \(sender) of organisation \(organisation) to \(what)")
        }
        // Only allow rules close what they govern: a lone deny rule blocks the senders it names
        // and leaves everyone else as they were.
        let allowing = governing.filter { $0.effect == .allow }
        guard !allowing.isEmpty else { return nil }
        if let allow = matching.first(where: { $0.effect == .allow }) {
            if !applied.contains("acls/\(allow.name)") { applied.append("acls/\(allow.name)") }
            return nil
        }
        let names = allowing.map(\.name).joined(separator: ", ")
        return ("acls/\(allowing[0].name)", "no ACL allows \(sender) of organisation \(organisation) to \(what) (governed by \(names))")
    }
}
