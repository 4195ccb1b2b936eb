import AsyncHTTPClient
import PlexusAPI
import PlexusCore


/// Section 7: live fan-out. `fanoutClients` WebSocket clients on `/v1/stream` (no filter: every
/// message), then `fanoutMessages` messages go through the node's own ingest path
/// (`runtime.log`: commit, then publish), and the figure is deliveries per second until the last
/// client has counted its last frame.
///
/// The clients are `StreamCounterClient`s: NIO's WebSocket decoder and a frame counter on the
/// event loop, far cheaper than a full async client, because they share the node's two cores.
///
/// The node's per-client queue is set above the message count, so a client is never dropped for
/// being slow; /healthz's `slow_clients_closed` is printed to prove it.
struct FanoutBench: Sendable {
    let plan: BenchPlan
    let factory: MessageFactory

    static let section = "7. Live fan-out (/v1/stream)"

    func run() async throws -> [BenchFigure] {
        let messages = plan.fanoutMessages
        return try await BenchNode.with("fanout", clientQueue: messages + 1_000) { node in
            try await measure(node: node, messages: messages)
        }
    }

    func measure(node: BenchNode, messages: Int) async throws -> [BenchFigure] {
        let clients = plan.fanoutClients
        var rng = SplitMix64(seed: 99)
        let batches: [[Envelope]] = stride(from: 0, to: messages, by: plan.batchSize).map { first in
            (first..<min(messages, first + plan.batchSize)).map { factory.envelope($0, rng: &rng) }
        }
        let port = node.port
        let runtime = node.node.runtime
        let ingestTasks = plan.fanoutIngestTasks
        let finishes = Locked<[ContinuousClock.Instant]>([])
        let cpu = CPUUsage.now()
        let (counts, start, ingestSeconds) = try await TimeLimit.run(.seconds(600), "fan-out to \(clients) clients") {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<clients {
                    group.addTask {
                        try await StreamCounterClient.run(port: port, path: "/v1/stream", expected: messages) {
                            let now = ContinuousClock.now
                            finishes.withLock { $0.append(now) }
                        }
                    }
                }
                try await Self.waitForSubscribers(runtime.hub, clients)
                let start = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { ingest in
                    for t in 0..<ingestTasks {
                        ingest.addTask {
                            for index in stride(from: t, to: batches.count, by: ingestTasks) {
                                _ = try await runtime.log(batches[index], via: .http)
                            }
                        }
                    }
                    try await ingest.waitForAll()
                }
                let ingestSeconds = (ContinuousClock.now - start).seconds
                var counts: [Int] = []
                for try await count in group { counts.append(count) }
                return (counts, start, ingestSeconds)
            }
        }
        let last = finishes.withLock { $0.max() } ?? start
        let wall = (last - start).seconds
        let cpuNote = CPUUsage.note(since: cpu, wall: wall) + " (node and clients together)"
        let complete = counts.filter { $0 == messages }.count
        let slowClosed = try await Self.slowClientsClosed(node.base)
        let delivered = counts.reduce(0, +)
        guard complete == clients else {
            throw BenchError("fan-out: only \(complete) of \(clients) clients got all \(messages) messages (\(delivered) delivered, \(slowClosed) closed as slow)")
        }
        return [
            BenchFigure(
                Self.section, "\(clients) clients × \(messages) messages", Double(delivered) / wall, "deliveries/s",
                target: .atLeast(200_000),
                note: "last frame \(BenchFigure.format(wall)) s after ingest began (ingest itself \(BenchFigure.format(ingestSeconds)) s, \(ingestTasks) tasks × batches of \(plan.batchSize) through runtime.log, FULL); \(cpuNote)"
            ),
            BenchFigure(Self.section, "clients closed as slow (/healthz)", Double(slowClosed), "clients",
                        note: "stream.client_queue set to \(messages + 1_000)"),
        ]
    }

    static func waitForSubscribers(_ hub: StreamHub, _ count: Int) async throws {
        let watch = Stopwatch()
        while hub.stats.subscribers < count {
            if watch.elapsed > .seconds(60) {
                throw BenchError("only \(hub.stats.subscribers) of \(count) stream clients subscribed after 60 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func slowClientsClosed(_ base: String) async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/healthz"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let json = try JSONParser.parse(Array(body.readableBytesView))
        guard let closed = json["stream"]?["slow_clients_closed"]?.integerValue else {
            throw BenchError("/healthz has no stream.slow_clients_closed: \(String(buffer: body))")
        }
        return Int(closed)
    }
}
