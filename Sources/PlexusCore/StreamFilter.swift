/// What a live-stream client asked to see: `/v1/stream?topic=<pattern>&subject=<id>`.
public struct StreamFilter: Sendable, Hashable {
    public var topic: TopicPattern?
    public var subject: String?

    public init(topic: TopicPattern? = nil, subject: String? = nil) {
        self.topic = topic
        self.subject = subject
    }

    public static let everything = StreamFilter()

    public static func parse(_ parameters: [(String, String)]) throws(PlexusError) -> StreamFilter {
        var filter = StreamFilter()
        for (name, value) in parameters {
            switch name {
            case "topic":
                do throws(PlexusError) { filter.topic = try TopicPattern(value) } catch {
                    throw PlexusError(.invalidQuery, error.message)
                }
            case "subject":
                guard !value.isEmpty else { throw PlexusError(.invalidQuery, "\"subject\" is empty") }
                filter.subject = value
            default:
                throw PlexusError(.invalidQuery, "unknown parameter \"\(name)\"; known: topic, subject")
            }
        }
        return filter
    }

    public func matches(_ envelope: Envelope) -> Bool {
        if let topic, !topic.matches(envelope.topic) { return false }
        if let subject, !envelope.concerns(subject: subject) { return false }
        return true
    }
}
