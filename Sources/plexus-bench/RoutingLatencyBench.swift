import AsyncHTTPClient
import NIOCore
import NIOPosix
import PlexusCore

/// End-to-end latency over two forwarding hops: three node processes in a chain n1–n2–n3
/// (`mesh.neighbors` allows only chain neighbours, so n1 reaches n3 through n2 — the shape of the
/// NATS reference's A→B→C), a publisher pacing WebSocket ingest into n1 and an agent session on
/// n3. Latency is the agent's read time minus the send time the publisher wrote into `data`, both
/// from this process's monotonic clock. The node's own timestamps (`origin_ts` by n1, `hops[].ts`
/// by n2 and n3, wall clock) split a sample of the messages into the time to each node.
struct RoutingLatencyBench: Sendable {
    var binary: String
    var message: RoutingMessage
    var rate = 10_000
    var duration: Duration = .seconds(10)
    var synchronous: String?
    /// The agent session's `?frames=`: single or batch.
    var agentFrames = "batch"
    /// Every this-many-th message is kept whole for the per-hop breakdown.
    var keepEvery = 10
    var progress: @Sendable (String) -> Void = { _ in }

    static let subject = "agent-c"
    static let names = ["n1", "n2", "n3"]

    struct Result: Sendable {
        var rate: Int
        var seconds: Double
        var sent: Int
        var received: Int
        var duplicates: Int
        var outOfOrder: Int
        var frames: Int
        var refusedFrames: Int
        var firstRefusal: String?
        var publishSeconds: Double
        /// From the last message published until the last one arrived (or the wait gave up).
        var drainSeconds: Double
        var stats: LatencyStats?
        /// p50/p99/max of each segment, in path order, from the kept sample.
        var segments: [(name: String, stats: LatencyStats)]
        var cores: [String: Double]
        /// Seconds per second each node's threads waited for a CPU (run queue), over the window.
        var runQueueWait: [String: Double]
        /// Each node's group commits over the window.
        var logWriters: [String: LogWriterReading]
        /// The window the CPU, run-queue and commit figures cover: publishing plus the drain.
        var windowSeconds: Double
        var counters: [String: RoutingNodeCounters]
        var path: [String]

        var lost: Int { sent - received }
    }

    func run(group: MultiThreadedEventLoopGroup) async throws -> Result {
        progress("latency: starting n1–n2–n3 (chain neighbours only)")
        let cluster = try await RoutingCluster.start(
            binary: binary, names: Self.names, neighbors: ["n1": ["n2"], "n2": ["n1", "n3"], "n3": ["n2"]],
            synchronous: synchronous, label: "lat")
        do {
            let result = try await measure(cluster: cluster, group: group)
            await cluster.stop()
            return result
        } catch {
            await cluster.stop()
            throw error
        }
    }

    private func measure(cluster: RoutingCluster, group: MultiThreadedEventLoopGroup) async throws -> Result {
        var loops = group.makeIterator()
        let publisherLoop = loops.next()!
        let sessionLoop = loops.next() ?? publisherLoop
        try await cluster.waitForRoute(from: "n1", to: "n3", via: "n2")
        try await cluster.waitForRoute(from: "n2", to: "n3", via: "n3")
        let tally = RoutingSessionTally()
        let keepEvery = self.keepEvery
        let session = try await RoutingWebSocket.connect(
            port: cluster.node("n3").httpPort, path: "/v1/subjects/\(Self.subject)/session?frames=\(agentFrames)", on: sessionLoop
        ) { RoutingSessionHandler(tally: tally, recordLatency: true, keepEvery: keepEvery) }
        defer { session.close(promise: nil) }
        try await cluster.waitForSubject(Self.subject, knownAt: "n1")

        // A probe crosses first, so the path is warm and known end to end before timing starts.
        progress("latency: waiting for a probe to cross n1→n2→n3")
        let probe = Array(message.input(to: Self.subject, seq: Int(Int32.max), monotonic: RoutingMessage.monotonicNow(),
                                        wall: RoutingMessage.wallMicroseconds()).utf8)
        var request = HTTPClientRequest(url: cluster.node("n1").base + "/v1/messages")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(probe)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code == 202 || response.status.code == 200 else {
            throw BenchError("probe POST /v1/messages on n1: HTTP \(response.status.code)")
        }
        let probeWatch = Stopwatch()
        while tally.delivered.load(ordering: .relaxed) == 0 {
            if probeWatch.elapsed > .seconds(30) { throw BenchError("the probe did not reach the agent on n3 within 30 s") }
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(500))
        tally.reset()

        let count = max(1, Int((Double(rate) * duration.seconds).rounded()))
        progress("latency: \(rate) msgs/s for \(duration) into n1, agent on n3, \(message.payloadBytes)-byte payloads")
        let before = RoutingMachineCPU.reading(cluster)
        var countersBefore: [String: RoutingNodeCounters] = [:]
        var writersBefore: [String: LogWriterReading] = [:]
        for name in Self.names {
            countersBefore[name] = try await cluster.routes(name)
            writersBefore[name] = try await cluster.logWriter(name)
        }
        let waitBefore = cluster.runQueueWaitSeconds()
        let watch = Stopwatch()
        let done = publisherLoop.makePromise(of: RoutingPacedPublisher.Outcome.self)
        let (message, rate) = (self.message, self.rate)
        let publisher: any Channel
        do {
            publisher = try await RoutingWebSocket.connect(port: cluster.node("n1").httpPort, path: "/v1/messages/ws", on: publisherLoop) {
                RoutingPacedPublisher(message: message, subject: Self.subject, rate: rate, count: count, done: done)
            }
        } catch {
            done.fail(error)
            throw error
        }
        defer { publisher.close(promise: nil) }
        let outcome = try await TimeLimit.run(duration * 3 + .seconds(60), "paced publishing") { try await done.futureResult.get() }
        // Wait for the rest to arrive: until all have, or none arrived for 15 s (a retransmission
        // backs off up to `RoutingSettings.maxRetryInterval`, 5 s), at most 120 s.
        var last = tally.delivered.load(ordering: .relaxed)
        var quiet = Stopwatch()
        let drain = Stopwatch()
        while last < count, quiet.elapsed < .seconds(15), drain.elapsed < .seconds(120) {
            try await Task.sleep(for: .milliseconds(20))
            let now = tally.delivered.load(ordering: .relaxed)
            if now != last { last = now; quiet = Stopwatch() }
        }
        let wall = watch.seconds
        let drainSeconds = drain.seconds
        var cores: [String: Double] = [:]
        let after = RoutingMachineCPU.reading(cluster)
        for (name, seconds) in after { cores[name] = (seconds - (before[name] ?? seconds)) / max(wall, 1e-9) }
        var runQueueWait: [String: Double] = [:]
        for (name, seconds) in cluster.runQueueWaitSeconds() {
            runQueueWait[name] = (seconds - (waitBefore[name] ?? seconds)) / max(wall, 1e-9)
        }
        var counters: [String: RoutingNodeCounters] = [:]
        var logWriters: [String: LogWriterReading] = [:]
        for name in Self.names {
            let now = try await cluster.routes(name)
            counters[name] = countersBefore[name].map { now.since($0) } ?? now
            if let writer = try await cluster.logWriter(name), let before = writersBefore[name] {
                logWriters[name] = writer.since(before)
            }
        }

        let detail = tally.detail.withLock { $0 }
        var seen = [Bool](repeating: false, count: count)
        var latencies: [Double] = []
        latencies.reserveCapacity(count)
        var duplicates = 0, outOfOrder = 0, highest = -1
        for sample in detail.samples where sample.seq < count {
            if seen[sample.seq] { duplicates += 1; continue }
            seen[sample.seq] = true
            latencies.append(Double(sample.nanos) / 1e6)
            if sample.seq < highest { outOfOrder += 1 }
            highest = max(highest, sample.seq)
        }
        let (segments, path) = Self.segments(detail.kept.filter { $0.seq < count })
        return Result(
            rate: rate, seconds: duration.seconds, sent: count, received: latencies.count, duplicates: duplicates, outOfOrder: outOfOrder,
            frames: outcome.frames, refusedFrames: outcome.refusedFrames, firstRefusal: outcome.firstRefusal, publishSeconds: outcome.seconds, drainSeconds: drainSeconds,
            stats: latencies.isEmpty ? nil : LatencyStats(milliseconds: latencies), segments: segments, cores: cores,
            runQueueWait: runQueueWait, logWriters: logWriters, windowSeconds: wall, counters: counters, path: path)
    }

    /// Splits kept envelopes into wall-clock segments: publisher → n1's `origin_ts`, then each
    /// `hops[]` entry to the next (a relay stamps its hop when it starts taking the message, before
    /// it parses and logs it), and the last hop → the agent's read.
    static func segments(_ kept: [RoutingSessionTally.Kept]) -> ([(name: String, stats: LatencyStats)], [String]) {
        var names: [String] = []
        var columns: [[Double]] = []
        var path: [String] = []
        for item in kept {
            guard let envelope = try? JSONParser.parse(item.frame),
                  let sentWall = envelope["message_data"]?["bench_w"]?.integerValue,
                  let hops = envelope["hops"]?.arrayValue, !hops.isEmpty
            else { continue }
            var stamps: [(String, Int64)] = [("publisher", sentWall)]
            for hop in hops {
                guard let node = hop["node"]?.stringValue, let text = hop["ts"]?.stringValue, let ts = Timestamp(rfc3339: text) else { continue }
                stamps.append((node.split(separator: "/").last.map(String.init) ?? node, ts.microseconds))
            }
            stamps.append(("agent", item.receivedWall))
            let labels = zip(stamps, stamps.dropFirst()).map { "\($0.0) → \($1.0)" }
            if names.isEmpty {
                names = labels
                columns = Array(repeating: [], count: labels.count)
                path = stamps.map(\.0)
            }
            guard labels == names else { continue }
            for (i, pair) in zip(stamps, stamps.dropFirst()).enumerated() {
                columns[i].append(Double(pair.1.1 - pair.0.1) / 1_000)
            }
        }
        let segments = zip(names, columns).compactMap { name, values in values.isEmpty ? nil : (name, LatencyStats(milliseconds: values)) }
        return (segments, path)
    }
}
