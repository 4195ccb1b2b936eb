import NIOCore
import PlexusEdge
import PlexusNATS
import PlexusNode

/// NATS-subject ingest: the raw server rate (one publisher, one subscriber on another connection,
/// no node) beside the edge's rate end to end into the durable log. Both publishers are the same
/// code: `window` messages at most ahead of what was received (raw) or logged (edge), so neither
/// side is flooded into dropping — core NATS has no other flow control.
struct NATSEdgeBench: Sendable {
    let url: String
    let messages: Int
    let batch: Int
    let window: Int
    let payloads: [ByteBuffer]

    init(url: String, messages: Int, batch: Int, window: Int = 4_096, factory: MessageFactory) {
        self.url = url
        self.messages = messages
        self.batch = batch
        self.window = window
        self.payloads = (0..<messages).map { ByteBuffer(bytes: factory.input($0).serialized()) }
    }

    static func client(_ url: String) async throws -> NATSClient {
        var configuration = try NATSClient.Configuration(url: url)
        configuration.subscriptionBufferCapacity = 65_536
        let client = try NATSClient(configuration: configuration)
        try await client.connect()
        return client
    }

    /// Publishes every payload to `subject`, staying at most `window` ahead of `done()`.
    func produce(_ subject: String, on client: NATSClient, done: @Sendable () async throws -> Int) async throws {
        var sent = 0
        while sent < messages {
            let finished = try await done()
            if sent - finished >= window {
                try await Task.sleep(for: .milliseconds(1))
                continue
            }
            let end = min(messages, sent + min(512, window - (sent - finished)))
            for i in sent..<end { try client.publish(payloads[i], subject: subject) }
            sent = end
            try await client.flush()
        }
    }

    func raw() async throws -> (rate: Double, received: Int) {
        let publisher = try await Self.client(url)
        let subscriber = try await Self.client(url)
        let subscription = try subscriber.subscribe(subject: "bench.raw")
        try await subscriber.flush()
        let received = Locked(0)
        let counter = Task {
            for await _ in subscription {
                if received.withLock({ $0 += 1; return $0 }) == messages { break }
            }
        }
        let watch = Stopwatch()
        try await produce("bench.raw", on: publisher, done: { received.withLock { $0 } })
        _ = try? await TimeLimit.run(.seconds(60), "the raw subscriber receiving everything") { await counter.value }
        let seconds = watch.seconds
        let count = received.withLock { $0 }
        counter.cancel()
        await publisher.close()
        await subscriber.close()
        return (Double(count) / seconds, count)
    }

    func throughNode() async throws -> (rate: Double, ingested: Int) {
        var edges = NodeConfiguration.Edges()
        var edge = NATSEdgeConfiguration(servers: [url])
        edge.batch = batch
        edge.egress.enabled = false
        edges.nats = edge
        return try await BenchNode.with("nats-edge", edges: edges, mesh: false) { node in
            let publisher = try await Self.client(url)
            let store = node.node.runtime.store
            // The edge subscribes once it connected; wait for it as a client would for a consumer.
            try await TimeLimit.run(.seconds(30), "the NATS edge subscribing") {
                while true {
                    let probe = try? await publisher.request(ByteBuffer(string: #"{"topic": "bench.probe"}"#), subject: "MESSAGES", timeout: .seconds(1))
                    if probe != nil { return }
                }
            }
            let before = try await store.lastSequence()
            let watch = Stopwatch()
            // The edge's own counter (in memory): polling the log this often would take CPU from it.
            let probes = node.node.edgeHealth.first?.ingested ?? 0
            try await produce("MESSAGES", on: publisher, done: { (node.node.edgeHealth.first?.ingested ?? 0) - probes })
            try await TimeLimit.run(.seconds(300), "the NATS edge logging \(messages) messages") {
                while try await store.lastSequence() - before < Int64(messages) { try await Task.sleep(for: .milliseconds(5)) }
            }
            let seconds = watch.seconds
            await publisher.close()
            return (Double(messages) / seconds, Int(try await store.lastSequence() - before))
        }
    }
}
