/// A query over the message log: `GET /v1/messages?subject=&topic=&since=&until=&limit=&cursor=`.
///
/// Results are newest first by `origin_ts` (then by log sequence). `subject` matches the sender or
/// any recipient; `topic` may be a wildcard pattern; `since` is inclusive, `until` exclusive.
public struct MessageQuery: Sendable, Hashable {
    public var subject: String?
    public var topic: TopicPattern?
    public var since: Timestamp?
    public var until: Timestamp?
    public var limit: Int
    public var cursor: QueryCursor?
    /// Only messages with this `policy_decision.decision`: `allowed`, `routed` or `tagged` from
    /// the log, `denied` from the dead letters (a denied message is never logged as accepted).
    public var decision: String?

    public static let decisions: Set<String> = ["allowed", "denied", "routed", "tagged"]

    public static let defaultLimit = 100
    public static let maxLimit = 1_000

    public init(
        subject: String? = nil,
        topic: TopicPattern? = nil,
        since: Timestamp? = nil,
        until: Timestamp? = nil,
        limit: Int = MessageQuery.defaultLimit,
        cursor: QueryCursor? = nil
    ) {
        self.subject = subject
        self.topic = topic
        self.since = since
        self.until = until
        self.limit = limit
        self.cursor = cursor
    }

    /// Builds a query from URL parameters, naming the first bad one. Unknown parameters are
    /// refused too, so a typo (`subjet=`) is not silently a query for everything.
    public static func parse(_ parameters: [(String, String)]) throws(PlexusError) -> MessageQuery {
        var query = MessageQuery()
        var seen: Set<String> = []
        for (name, value) in parameters {
            guard seen.insert(name).inserted else {
                throw PlexusError(.invalidQuery, "parameter \"\(name)\" is given more than once")
            }
            switch name {
            case "subject":
                guard !value.isEmpty else { throw PlexusError(.invalidQuery, "\"subject\" is empty") }
                query.subject = value
            case "topic":
                do throws(PlexusError) { query.topic = try TopicPattern(value) } catch {
                    throw PlexusError(.invalidQuery, error.message)
                }
            case "since", "until":
                let seconds = Int64(value).flatMap { Timestamp.unixSecondsRange.contains($0) ? $0 : nil }
                guard let ts = Timestamp(rfc3339: value) ?? seconds.map({ Timestamp(microseconds: $0 * 1_000_000) }) else {
                    throw PlexusError(.invalidQuery, "\"\(name)\" must be an RFC 3339 timestamp or Unix seconds, got \"\(value)\"")
                }
                if name == "since" { query.since = ts } else { query.until = ts }
            case "limit":
                guard let limit = Int(value), limit >= 1, limit <= maxLimit else {
                    throw PlexusError(.invalidQuery, "\"limit\" must be an integer from 1 to \(maxLimit), got \"\(value)\"")
                }
                query.limit = limit
            case "decision":
                guard decisions.contains(value) else {
                    throw PlexusError(.invalidQuery, "\"decision\" must be one of \(decisions.sorted().joined(separator: ", ")), got \"\(value)\"")
                }
                query.decision = value
            case "cursor":
                guard let cursor = QueryCursor(value) else {
                    throw PlexusError(.invalidQuery, "\"cursor\" is not a cursor this node issued: \"\(value)\"")
                }
                query.cursor = cursor
            default:
                throw PlexusError(.invalidQuery, "unknown parameter \"\(name)\"; known: subject, topic, since, until, limit, cursor, decision")
            }
        }
        if let since = query.since, let until = query.until, until <= since {
            throw PlexusError(.invalidQuery, "\"until\" must be later than \"since\"")
        }
        return query
    }

    /// Whether an envelope satisfies the filters (not the cursor or limit). The store narrows with
    /// indexes; this is the exact check, shared with the live stream.
    public func matches(_ envelope: Envelope) -> Bool {
        if let subject, !envelope.concerns(subject: subject) { return false }
        if let topic, !topic.matches(envelope.topic) { return false }
        if let since, envelope.originTS < since { return false }
        if let until, envelope.originTS >= until { return false }
        if let decision, envelope.policyDecision?["decision"] != .string(decision) { return false }
        return true
    }
}
