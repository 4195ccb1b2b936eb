import NIOCore
import NIOPosix

/// Node→node forwarding throughput over one mutual-TLS peer link: two node processes n1 and n2
/// (each the other's only neighbour), an agent session on n2, and WebSocket ingest into n1 as fast
/// as n1 takes it — several connections, each pipelining batch frames. The figure is messages
/// delivered to the agent on n2 per second over a steady window after a warm-up.
///
/// The same run then measures n1's ingest alone: the same load on a fresh pair of nodes,
/// addressed to an agent attached on n1 itself, so every message is logged and delivered there
/// but never forwarded.
struct RoutingThroughputBench: Sendable {
    var binary: String
    var message: RoutingMessage
    var connections = 4
    var perFrame = 200
    /// Frames each connection keeps unacknowledged.
    var inFlight = 4
    /// Most messages admitted at n1 but not yet delivered (0: unbounded).
    var window = 50_000
    var warmup: Duration = .seconds(3)
    var measure: Duration = .seconds(10)
    var synchronous: String?
    /// The agent session's `?frames=`: single or batch.
    var agentFrames = "batch"
    var progress: @Sendable (String) -> Void = { _ in }

    static let remoteSubject = "agent-remote"
    static let localSubject = "agent-local"

    /// One load run, from the steady window's two snapshots (and a drain after it).
    struct Run: Sendable {
        var label: String
        var seconds: Double
        /// Messages delivered to the agent and accepted by n1's ingest within the window.
        var delivered: Int
        var accepted: Int
        /// Rates of each whole second of the window: min and max show how steady it was.
        var secondRates: [Double]
        /// CPU cores each process used over the window (node names, "bench"), and the whole
        /// machine's busy cores ("machine").
        var cores: [String: Double]
        /// Forwarding counters over the window, per node.
        var counters: [String: RoutingNodeCounters]
        /// After the load stopped: admitted (sent and not refused), accepted, delivered in all.
        var totalAdmitted: Int
        var totalAccepted: Int
        var totalDelivered: Int
        var refused: Int
        var firstRefusal: String?
        var unexpectedFrames: [String]

        var deliveredPerSecond: Double { seconds > 0 ? Double(delivered) / seconds : 0 }
        var acceptedPerSecond: Double { seconds > 0 ? Double(accepted) / seconds : 0 }
    }

    func run(group: MultiThreadedEventLoopGroup) async throws -> (forwarding: Run, ingestOnly: Run) {
        progress("forwarding: \(connections) connections × \(perFrame) messages/frame into n1 for an agent on n2; "
            + "\(warmup) warm-up, \(measure) measured")
        let forwarding = try await run(label: "n1 → n2", agentOn: "n2", group: group)
        progress("  delivered at n2: \(BenchFigure.format(forwarding.deliveredPerSecond)) msgs/s; n1 accepted \(BenchFigure.format(forwarding.acceptedPerSecond)) msgs/s")
        progress("ingest alone: the same load for an agent on n1 (fresh nodes)")
        let ingestOnly = try await run(label: "n1 only", agentOn: "n1", group: group)
        progress("  delivered at n1: \(BenchFigure.format(ingestOnly.deliveredPerSecond)) msgs/s")
        return (forwarding, ingestOnly)
    }

    /// One load run on a fresh pair of nodes (so neither run inherits the other's log, outbox or
    /// de-duplication window), the agent attached on `agentOn`.
    private func run(label: String, agentOn: String, group: MultiThreadedEventLoopGroup) async throws -> Run {
        let cluster = try await RoutingCluster.start(
            binary: binary, names: ["n1", "n2"], neighbors: ["n1": ["n2"], "n2": ["n1"]], synchronous: synchronous, label: "tput")
        do {
            var loops = group.makeIterator()
            let loaderLoop = loops.next()!
            let sessionLoop = loops.next() ?? loaderLoop
            try await cluster.waitForRoute(from: "n1", to: "n2", via: "n2")
            let subject = agentOn == "n1" ? Self.localSubject : Self.remoteSubject
            let tally = RoutingSessionTally()
            let session = try await RoutingWebSocket.connect(
                port: cluster.node(agentOn).httpPort, path: "/v1/subjects/\(subject)/session?frames=\(agentFrames)", on: sessionLoop
            ) { RoutingSessionHandler(tally: tally, recordLatency: false) }
            defer { session.close(promise: nil) }
            try await cluster.waitForSubject(subject, knownAt: "n1")
            let result = try await load(label: label, subject: subject, session: tally, cluster: cluster, loop: loaderLoop)
            await cluster.stop()
            return result
        } catch {
            await cluster.stop()
            throw error
        }
    }

    private struct Snapshot {
        var at: ContinuousClock.Instant
        var delivered: Int
        var accepted: Int
        var cpu: [String: Double]
        var counters: [String: RoutingNodeCounters]

        static func take(cluster: RoutingCluster, session: RoutingSessionTally, load: RoutingLoadTally) async throws -> Snapshot {
            // Counts and CPU first, together; the HTTP reads of the counters after them.
            var snapshot = Snapshot(at: .now, delivered: session.delivered.load(ordering: .relaxed),
                                    accepted: load.accepted.load(ordering: .relaxed), cpu: RoutingMachineCPU.reading(cluster), counters: [:])
            for node in cluster.nodes { snapshot.counters[node.name] = try await cluster.routes(node.name) }
            return snapshot
        }
    }

    private func load(label: String, subject: String, session: RoutingSessionTally, cluster: RoutingCluster,
                      loop: any EventLoop) async throws -> Run {
        let tally = RoutingLoadTally()
        let base = session.delivered.load(ordering: .relaxed)
        let window = self.window
        let mayAdd: @Sendable (Int) -> Bool = { n in
            window <= 0 || tally.admitted + n - (session.delivered.load(ordering: .relaxed) - base) <= window
        }
        let body = message.batch(to: subject, count: perFrame)
        var channels: [any Channel] = []
        var drained: [EventLoopFuture<Void>] = []
        do {
            for _ in 0..<connections {
                let promise = loop.makePromise(of: Void.self)
                drained.append(promise.futureResult)
                let (perFrame, inFlight) = (self.perFrame, self.inFlight)
                do {
                    channels.append(try await RoutingWebSocket.connect(port: cluster.node("n1").httpPort, path: "/v1/messages/ws", on: loop) {
                        RoutingIngestHandler(body: body, perFrame: perFrame, maxInFlight: inFlight, tally: tally, mayAdd: mayAdd, drained: promise)
                    })
                } catch {
                    promise.fail(error)
                    throw error
                }
            }
        } catch {
            tally.stopping.store(true, ordering: .relaxed)
            for channel in channels { channel.close(promise: nil) }
            throw error
        }
        defer { for channel in channels { channel.close(promise: nil) } }

        try await Task.sleep(for: warmup)
        let start = try await Snapshot.take(cluster: cluster, session: session, load: tally)
        var secondRates: [Double] = []
        var previous = (start.at, start.delivered)
        let seconds = Int(measure.seconds.rounded(.down))
        for _ in 0..<max(1, seconds) {
            try await Task.sleep(until: previous.0 + .seconds(1), clock: .continuous)
            let now = ContinuousClock.now, delivered = session.delivered.load(ordering: .relaxed)
            secondRates.append(Double(delivered - previous.1) / (now - previous.0).seconds)
            previous = (now, delivered)
        }
        let end = try await Snapshot.take(cluster: cluster, session: session, load: tally)

        tally.stopping.store(true, ordering: .relaxed)
        for future in drained {
            _ = try? await TimeLimit.run(.seconds(60), "ingest connections draining") { try await future.get() }
        }
        // Everything accepted should arrive: wait until it has, or none arrives for 15 s (a
        // retransmission backs off up to 5 s), at most 120 s.
        var last = session.delivered.load(ordering: .relaxed) - base
        var quiet = Stopwatch()
        let drain = Stopwatch()
        while last < tally.accepted.load(ordering: .relaxed), quiet.elapsed < .seconds(15), drain.elapsed < .seconds(120) {
            try await Task.sleep(for: .milliseconds(50))
            let now = session.delivered.load(ordering: .relaxed) - base
            if now != last { last = now; quiet = Stopwatch() }
        }
        let wall = (end.at - start.at).seconds
        var cores: [String: Double] = [:]
        for (name, seconds) in end.cpu { cores[name] = (seconds - (start.cpu[name] ?? seconds)) / max(wall, 1e-9) }
        var counters: [String: RoutingNodeCounters] = [:]
        for (name, c) in end.counters { counters[name] = start.counters[name].map { c.since($0) } ?? c }
        return Run(
            label: label, seconds: wall, delivered: end.delivered - start.delivered, accepted: end.accepted - start.accepted,
            secondRates: secondRates, cores: cores, counters: counters,
            totalAdmitted: tally.admitted, totalAccepted: tally.accepted.load(ordering: .relaxed),
            totalDelivered: session.delivered.load(ordering: .relaxed) - base, refused: tally.refused.load(ordering: .relaxed),
            firstRefusal: tally.firstRefusal.withLock { $0 }, unexpectedFrames: session.detail.withLock { $0.unexpected })
    }
}
