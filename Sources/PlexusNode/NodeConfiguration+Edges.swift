import PlexusCore
import PlexusEdge
import PlexusYAML

extension NodeConfiguration {
    /// The node's local Redis and NATS (docs/edges.md). Both absent by default.
    public struct Edges: Sendable, Hashable {
        public var redis: RedisEdgeConfiguration?
        public var nats: NATSEdgeConfiguration?
        public init() {}
    }

    /// Reads the `edges:` section of node.yaml.
    static func readEdges(_ edges: inout YAMLMapping) throws(ConfigurationError) -> Edges {
        var result = Edges()
        if var redis = try edges.mapping("redis") {
            guard let url = try redis.string("url") else { throw redis.missing("url") }
            var config = RedisEdgeConfiguration(url: url)
            config.lists = try redis.strings("lists") ?? config.lists
            config.batch = try redis.int("batch") ?? config.batch
            config.deadLetterSuffix = try redis.string("dead_letter_suffix") ?? config.deadLetterSuffix
            for var rule in try redis.mappings("egress") ?? [] {
                config.egress.append(try readRedisRule(&rule))
            }
            try redis.rejectUnknownKeys()
            result.redis = config
        }
        if var nats = try edges.mapping("nats") {
            guard let servers = try nats.strings("servers") else { throw nats.missing("servers") }
            var config = NATSEdgeConfiguration(servers: servers)
            config.user = try nats.string("user")
            config.password = try nats.string("password")
            config.token = try nats.string("token")
            config.subjects = try nats.strings("subjects") ?? config.subjects
            config.queueGroup = try nats.string("queue_group")
            config.batch = try nats.int("batch") ?? config.batch
            if var egress = try nats.mapping("egress") {
                config.egress.enabled = try egress.bool("enabled") ?? config.egress.enabled
                if let topics = try egress.strings("topics") { config.egress.topics = try patterns(topics, in: egress, key: "topics") }
                if var js = try egress.mapping("jetstream") {
                    guard let stream = try js.string("stream") else { throw js.missing("stream") }
                    var jetStream = NATSEdgeConfiguration.JetStream(stream: stream)
                    jetStream.createStream = try js.bool("create_stream") ?? jetStream.createStream
                    jetStream.inFlight = try js.int("in_flight") ?? jetStream.inFlight
                    try js.rejectUnknownKeys()
                    config.egress.jetStream = jetStream
                }
                try egress.rejectUnknownKeys()
            }
            try nats.rejectUnknownKeys()
            result.nats = config
        }
        try edges.rejectUnknownKeys()
        return result
    }

    private static func readRedisRule(_ rule: inout YAMLMapping) throws(ConfigurationError) -> RedisEgressRule {
        guard let topics = try rule.strings("topics") else { throw rule.missing("topics") }
        var result = RedisEgressRule(topics: try patterns(topics, in: rule, key: "topics"))
        for key in ["list", "channel"] {
            guard let name = try rule.string(key) else { continue }
            do throws(EdgeError) {
                let template = try EgressTemplate(name)
                if key == "list" { result.list = template } else { result.channel = template }
            } catch {
                throw rule.error(key, error.message)
            }
        }
        if result.list == nil && result.channel == nil {
            throw rule.error("topics", "an egress rule needs a list, a channel or both")
        }
        try rule.rejectUnknownKeys()
        return result
    }

    private static func patterns(_ texts: [String], in mapping: YAMLMapping, key: String) throws(ConfigurationError) -> [TopicPattern] {
        var result: [TopicPattern] = []
        for text in texts {
            do throws(PlexusError) { result.append(try TopicPattern(text)) } catch {
                throw mapping.error(key, "'\(text)' is not a topic pattern: \(error.message)")
            }
        }
        return result
    }
}
