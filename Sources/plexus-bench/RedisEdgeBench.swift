import PlexusCore
import PlexusEdge
import PlexusNode
import PlexusRedis

/// Redis-list ingest: the raw server rate (pipelined `RPUSH` by one producer, the edge's own
/// take-and-trim scripts by one consumer, no node) beside the edge's rate end to end into the
/// durable log (the same producer; done when the log holds every message).
struct RedisEdgeBench: Sendable {
    let url: String
    let messages: Int
    let batch: Int
    let items: [[UInt8]]

    init(url: String, messages: Int, batch: Int, factory: MessageFactory) {
        self.url = url
        self.messages = messages
        self.batch = batch
        self.items = (0..<messages).map { factory.input($0).serialized() }
    }

    /// Pushes every item, `pipeline` single-item RPUSHes per round trip, as clients do.
    func produce(_ list: String, on connection: RedisConnection, pipeline: Int = 500) async throws {
        for start in stride(from: 0, to: items.count, by: pipeline) {
            let commands = items[start..<min(items.count, start + pipeline)].map { ["RPUSH", RedisArgument(list), RedisArgument($0)] as [RedisArgument] }
            _ = try await connection.pipeline(commands)
        }
    }

    func raw() async throws -> Double {
        let configuration = try RedisConfiguration(url: url)
        let producer = try await RedisConnection.connect(configuration: configuration)
        let consumer = try await RedisConnection.connect(configuration: configuration)
        defer { Task { await producer.close(); await consumer.close() } }
        _ = try await producer.command("DEL", "bench.raw", "bench.raw.processing", "bench.raw.seq")
        let watch = Stopwatch()
        async let pushed: Void = produce("bench.raw", on: producer)
        var taken = 0
        while taken < messages {
            let reply = try await consumer.command(
                "EVAL", RedisArgument(RedisEdgeScripts.take), 4, "bench.raw", "bench.raw.processing", "bench.raw.seq", "bench.raw.dead",
                RedisArgument(batch), RedisArgument(1 << 20), "bench", RedisArgument(8 << 20))
            if let error = reply.errorMessage { throw BenchError("the take script failed: \(error)") }
            let count = reply.array?.count ?? 0
            if count == 0 { continue }
            _ = try await consumer.command("EVAL", RedisArgument(RedisEdgeScripts.finish), 2, "bench.raw.processing", "bench.raw.dead", RedisArgument(count))
            taken += count
        }
        try await pushed
        return Double(messages) / watch.seconds
    }

    func throughNode() async throws -> (rate: Double, ingested: Int) {
        var edges = NodeConfiguration.Edges()
        var edge = RedisEdgeConfiguration(url: url)
        edge.batch = batch
        edges.redis = edge
        return try await BenchNode.with("redis-edge", edges: edges, mesh: false) { node in
            let producer = try await RedisConnection.connect(configuration: try RedisConfiguration(url: url))
            defer { Task { await producer.close() } }
            let store = node.node.runtime.store
            let before = try await store.lastSequence()
            let watch = Stopwatch()
            try await produce("MESSAGES", on: producer)
            try await TimeLimit.run(.seconds(300), "the Redis edge logging \(messages) messages") {
                while try await store.lastSequence() - before < Int64(messages) { try await Task.sleep(for: .milliseconds(5)) }
            }
            let seconds = watch.seconds
            return (Double(messages) / seconds, Int(try await store.lastSequence() - before))
        }
    }
}
