import PlexusCore
import PlexusRedis

/// The node's local Redis: lists it takes messages from, and where it puts the messages it
/// delivers (docs/edges.md).
public struct RedisEdgeConfiguration: Sendable, Hashable {
    /// `redis://[user:password@]host[:port][/db]`.
    public var url: String
    /// Lists clients `RPUSH` messages onto (the original's `MESSAGES`).
    public var lists: [String] = ["MESSAGES"]
    /// Most items taken from a list in one move.
    public var batch = 1_000
    /// Items that fail validation go to `<list><suffix>` with the reason.
    public var deadLetterSuffix = ":dead"
    /// Egress: each delivered message goes to every rule whose topics match.
    public var egress: [RedisEgressRule] = []

    public init(url: String) {
        self.url = url
    }

    /// The processing list of `list` on node `node`: items wait there until logged.
    public func processingList(_ list: String, node: String) -> String { "plexus:processing:\(node):\(list)" }
    /// The counter the stamps of `list`'s items come from on node `node`.
    public func counterKey(_ list: String, node: String) -> String { "plexus:seq:\(node):\(list)" }
    public func deadLetterList(_ list: String) -> String { list + deadLetterSuffix }

    public func validate() throws(EdgeError) {
        do throws(RedisError) { _ = try RedisConfiguration(url: url) } catch {
            throw EdgeError(.configuration, "edges.redis.url: \(error.message)")
        }
        if lists.isEmpty && egress.isEmpty {
            throw EdgeError(.configuration, "edges.redis: give lists to ingest from or egress rules (or both)")
        }
        for list in lists where list.isEmpty || list.utf8.contains(where: { $0 < 0x20 }) {
            throw EdgeError(.configuration, "edges.redis.lists: \"\(list)\" is not a usable list name")
        }
        if !(1...10_000).contains(batch) { throw EdgeError(.configuration, "edges.redis.batch must be 1...10000, got \(batch)") }
    }
}

/// Where messages on some topics go: `RPUSH` to a list and/or `PUBLISH` to a channel.
public struct RedisEgressRule: Sendable, Hashable {
    public var topics: [TopicPattern]
    public var list: EgressTemplate?
    public var channel: EgressTemplate?

    public init(topics: [TopicPattern], list: EgressTemplate? = nil, channel: EgressTemplate? = nil) {
        self.topics = topics
        self.list = list
        self.channel = channel
    }

    public func matches(_ topic: String) -> Bool { topics.contains { $0.matches(topic) } }

    /// What `plexus dev --redis URL` uses: every delivered message published on the channel
    /// named after its topic (a list nobody reads would grow without bound, so none by default).
    public static func everyTopicToItsChannel() -> RedisEgressRule {
        // ">" and "{topic}" are valid by construction.
        RedisEgressRule(topics: [try! TopicPattern(">")], channel: try! EgressTemplate("{topic}"))
    }
}
