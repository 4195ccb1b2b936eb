import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import PlexusStore


/// Section 5: ingest over WebSocket (`/v1/messages/ws`). Each client sends all its frames without
/// waiting for acks (the server keeps up to 256 frames of one connection in flight and acks in
/// order), and counts acks to know when every frame is durable.
///
/// The clients run in this process (HummingbirdWSClient), so they share the two cores with the
/// node; the note gives the process's CPU so a client-bound figure is visible.
struct WebSocketIngestBench: Sendable {
    let plan: BenchPlan
    let factory: MessageFactory

    static let section = "5. WebSocket ingest (/v1/messages/ws, pipelined, acks counted)"

    struct Tally: Sendable {
        var acks = 0
        var errorAcks = 0
    }

    func run() async throws -> [BenchFigure] {
        var figures: [BenchFigure] = []
        let shapes: [(String, Int, Int)] = [
            ("1 message per frame", 1, plan.webSocketSingleFrames),
            ("100 messages per frame", plan.batchSize, plan.webSocketBatchFrames),
        ]
        for (label, perFrame, frames) in shapes {
            for synchronous in [SQLiteStoreOptions.Synchronous.full, .normal] {
                let isDefault = synchronous == .full
                let (rate, note) = try await measure(perFrame: perFrame, framesPerConnection: frames, synchronous: synchronous)
                figures.append(BenchFigure(
                    Self.section, "\(label), \(synchronous.rawValue)\(isDefault ? " (default)" : "")", rate, "msgs/s",
                    target: isDefault ? .atLeast(50_000) : nil, note: note
                ))
            }
        }
        return figures
    }

    func measure(perFrame: Int, framesPerConnection frames: Int, synchronous: SQLiteStoreOptions.Synchronous) async throws -> (Double, String) {
        try await BenchNode.with("ws", synchronous: synchronous) { node in
            try await measure(on: node, perFrame: perFrame, framesPerConnection: frames)
        }
    }

    func measure(on node: BenchNode, perFrame: Int, framesPerConnection frames: Int) async throws -> (Double, String) {
        let frame = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: factory.body(count: perFrame)))
        let url = node.wsBase + "/v1/messages/ws"
        let connections = plan.webSocketConnections
        let tally = Locked(Tally())
        var logger = Logger(label: "plexus.bench.ws")
        logger.logLevel = .warning
        let clientLogger = logger
        let cpu = CPUUsage.now()
        let watch = Stopwatch()
        try await TimeLimit.run(.seconds(300), "WebSocket ingest of \(connections * frames) frames") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<connections {
                    group.addTask {
                        try await Self.client(url: url, frame: frame, frames: frames, tally: tally, logger: clientLogger)
                    }
                }
                try await group.waitForAll()
            }
        }
        let wall = watch.seconds
        let cpuNote = CPUUsage.note(since: cpu, wall: wall) + " (node and clients together)"
        let counted = tally.value
        let logged = try await node.node.runtime.store.count()
        let expected = connections * frames
        guard counted.acks == expected, counted.errorAcks == 0, logged == expected * perFrame else {
            throw BenchError("WebSocket ingest: \(counted.acks) of \(expected) acks, \(counted.errorAcks) error acks, \(logged) rows logged")
        }
        let messages = expected * perFrame
        let note = "\(connections) connections × \(frames) frames = \(messages) messages in \(BenchFigure.format(wall)) s; all acked ok and logged; \(cpuNote)"
        return (Double(messages) / wall, note)
    }

    /// One connection: a writer child task sends every frame; this task counts acks until all have
    /// come back, then returns, which closes the connection.
    static func client(url: String, frame: WebSocketFrame, frames: Int, tally: Locked<Tally>, logger: Logger) async throws {
        try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 20), logger: logger) { inbound, outbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for _ in 0..<frames { try await outbound.write(.custom(frame)) }
                }
                var acks = 0
                var errors = 0
                var iterator = inbound.makeAsyncIterator()
                while acks < frames, let ack = try await iterator.next() {
                    acks += 1
                    // Acks start with {"status":"ok" — or "error" with a problem; no parse needed.
                    let head = ack.data.getString(at: ack.data.readerIndex, length: min(16, ack.data.readableBytes)) ?? ""
                    if !head.contains("\"ok\"") { errors += 1 }
                }
                try await group.waitForAll()
                tally.withLock {
                    $0.acks += acks
                    $0.errorAcks += errors
                }
            }
        }
    }
}
