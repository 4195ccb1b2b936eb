import NIOCore
import NIOPosix

/// nats-server as the reference for Plexus's mesh forwarding: three servers A, B, C, one
/// publisher connected to A, one subscriber connected to C, the subscriber's callback on its own
/// event loop thread and the publisher on another.
///
/// By default (`.leafnodes`) B is a hub with A and C as its leaf nodes, so every message crosses
/// B: two hops, as on a 3-node Plexus path. With `.routes` (a cluster configured as a chain) NATS
/// gossips A a direct route to C and a message crosses one route, never two. Either way the
/// figures record the links that formed, what they carried, and whether B's own counters show it
/// forwarded every message, so a comparison with a two-hop Plexus path can say which it was.
struct NATSClusterBench: Sendable {
    var binary: String
    var shape: NATSServerCluster.Shape = .leafnodes
    var payloadBytes = 300
    /// Messages published as fast as the connection takes them, for the throughput figure.
    var throughputMessages = 500_000
    /// At most this many messages published but not yet received at C (0: no bound). Unbounded,
    /// a publisher that outruns delivery to the subscriber (a slower client, a busier machine)
    /// piles bytes up at C until they pass max_pending (64 MiB) and C disconnects the subscriber
    /// as a slow consumer: the figure would then measure how long that takes rather than what the
    /// cluster sustains. 20,000 × 300 B ≈ 6 MB, far below that limit.
    var throughputWindow = 20_000
    /// Paced rate and duration of the latency measurement.
    var latencyRate = 10_000
    var latencyDuration: Duration = .seconds(5)
    /// Progress lines for a human (the report itself comes back as figures).
    var progress: @Sendable (String) -> Void = { _ in }

    static let serverNames = ["A", "B", "C"]
    // At most 15 bytes: Swift keeps such strings inline, so the subscriber allocates nothing
    // per message for the subject.
    static let latencySubject = "bench.lat"
    static let throughputSubject = "bench.tput"
    static let probeSubject = "bench.probe"

    init(binary: String) {
        self.binary = binary
    }

    /// Starts the cluster, measures, and stops every server and connection (also when a step
    /// fails, which then throws).
    func run() async throws -> NATSClusterFigures {
        guard payloadBytes >= NATSLatencyStamp.size, throughputMessages > 0, latencyRate > 0, latencyDuration > .zero else {
            throw BenchError("NATS cluster bench: payload must be ≥ \(NATSLatencyStamp.size) bytes, counts and rate > 0")
        }
        let version = try await NATSServerCluster.version(binary: binary)
        progress("starting \(Self.serverNames.count) nats-servers (\(version)), shape \(shape.rawValue)")
        let cluster = try await NATSServerCluster.start(binary: binary, names: Self.serverNames, shape: shape)
        // Two threads: the subscriber's parsing and the publisher's writes each get a core's
        // worth of thread, as a client process of each would.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        do {
            let figures = try await measure(cluster: cluster, group: group, version: version)
            try? await group.shutdownGracefully()
            await cluster.stop()
            return figures
        } catch {
            try? await group.shutdownGracefully()
            await cluster.stop()
            throw error
        }
    }

    private func measure(cluster: NATSServerCluster, group: MultiThreadedEventLoopGroup, version: String) async throws -> NATSClusterFigures {
        guard let first = cluster.servers.first, let last = cluster.servers.last else { throw BenchError("no nats-servers") }
        var loops = group.makeIterator()
        let subscriberLoop = loops.next()!
        let publisherLoop = loops.next()!
        let latencyCount = max(1, Int((Double(latencyRate) * latencyDuration.seconds).rounded()))
        let tally = NATSReceiveTally(payloadBytes: payloadBytes, latencyCount: latencyCount)
        let subscriber = try await NATSBenchClient.connect(port: last.clientPort, name: "bench-sub-\(last.name)", on: subscriberLoop) {
            tally.receive($0)
        }
        let publisher: NATSBenchClient
        do {
            publisher = try await NATSBenchClient.connect(port: first.clientPort, name: "bench-pub-\(first.name)", on: publisherLoop)
        } catch {
            await subscriber.close()
            throw error
        }
        do {
            var figures = try await measure(cluster: cluster, publisher: publisher, subscriber: subscriber, tally: tally, version: version)
            figures.publisherServer = first.name
            figures.subscriberServer = last.name
            await publisher.close()
            await subscriber.close()
            return figures
        } catch {
            await publisher.close()
            await subscriber.close()
            throw error
        }
    }

    private func measure(
        cluster: NATSServerCluster, publisher: NATSBenchClient, subscriber: NATSBenchClient, tally: NATSReceiveTally, version: String
    ) async throws -> NATSClusterFigures {
        // The probe subject last: C announces interest over each route or leaf connection in
        // subscription order (and a hub passes it on in the order it arrives), so once a probe
        // arrives, A knows about the measured subjects too. Leaf connections are up by now
        // (`start` waits for them), so no initial interest batch reorders it.
        try await subscriber.subscribe(Self.latencySubject, sid: NATSReceiveTally.latencySID)
        try await subscriber.subscribe(Self.throughputSubject, sid: NATSReceiveTally.throughputSID)
        try await subscriber.subscribe(Self.probeSubject, sid: NATSReceiveTally.probeSID)

        progress("waiting for interest to reach A and a probe to cross to C")
        var probe = publisher.channel.allocator.buffer(capacity: 64)
        NATSBenchClient.encodePublish(subject: Self.probeSubject, payload: Array("probe".utf8), into: &probe)
        let probeWatch = Stopwatch()
        while tally.probes == 0 {
            if probeWatch.elapsed > .seconds(30) {
                throw BenchError("no probe crossed from A to C within 30 s; links: \((try? await cluster.links()) ?? [])")
            }
            publisher.write(probe)
            try await publisher.flush()
            try await Task.sleep(for: .milliseconds(10))
        }
        let routeUp = (ContinuousClock.now - cluster.launchedAt).seconds
        let linksAtStart = try await cluster.links()
        // B's counters around the measured phases only: probes and startup stay out of them.
        let middleBefore = try await cluster.counters(cluster.middle)

        progress("latency: \(latencyRate) msgs/s for \(latencyDuration), \(payloadBytes)-byte payloads")
        let latencyCount = tally.latencyCount
        try await NATSPacedPublisher.run(
            client: publisher, subject: Self.latencySubject, payloadBytes: payloadBytes, rate: latencyRate, count: latencyCount)
        try await publisher.flush()
        _ = try await Self.waitForCount(target: latencyCount) { tally.latencyReceived }
        let latencyState = tally.snapshot
        let latency = NATSClusterFigures.Latency(
            rate: latencyRate, seconds: latencyDuration.seconds, sent: latencyCount, received: latencyState.latencyReceived,
            duplicates: latencyState.duplicates, outOfOrder: latencyState.outOfOrder,
            stats: latencyState.latencyNanos.isEmpty ? nil : LatencyStats(milliseconds: latencyState.latencyNanos.map { Double($0) / 1e6 }))

        progress("throughput: \(throughputMessages) messages as fast as A takes them"
            + (throughputWindow > 0 ? ", at most \(throughputWindow) not yet received at C" : ""))
        let throughput = try await measureThroughput(publisher: publisher, subscriber: subscriber, tally: tally)
        let linksAtEnd = try await cluster.links()
        let middleAfter = try await cluster.counters(cluster.middle)
        let middle = NATSClusterFigures.MiddleCheck(
            server: cluster.middle.name, sent: latencyCount + throughputMessages,
            inMsgs: middleAfter.inMsgs - middleBefore.inMsgs, outMsgs: middleAfter.outMsgs - middleBefore.outMsgs)
        if shape == .leafnodes, !middle.forwarded {
            progress("warning: \(middle.server) counted \(middle.inMsgs) in / \(middle.outMsgs) out, fewer than the \(middle.sent) sent")
        }

        let malformed = tally.snapshot.malformed
        if malformed > 0 { progress("warning: \(malformed) messages arrived with an unexpected payload") }
        return NATSClusterFigures(
            serverVersion: version, shape: shape, servers: cluster.servers.map(\.name), linksAtStart: linksAtStart, linksAtEnd: linksAtEnd,
            middle: middle, routeUpSeconds: routeUp, payloadBytes: payloadBytes, throughput: throughput, latency: latency,
            malformedMessages: malformed, slowConsumerLogLines: cluster.logLines(containing: "Slow Consumer"))
    }

    private func measureThroughput(
        publisher: NATSBenchClient, subscriber: NATSBenchClient, tally: NATSReceiveTally
    ) async throws -> NATSClusterFigures.Throughput {
        var encoded = ByteBuffer()
        NATSBenchClient.encodePublish(
            subject: Self.throughputSubject, payload: [UInt8](repeating: UInt8(ascii: "t"), count: payloadBytes), into: &encoded)
        let message = Array(encoded.readableBytesView)
        // ~80 KiB per write at 300-byte payloads: big enough that syscalls do not dominate,
        // small enough that the next batch is ready before the kernel buffer drains.
        // A batch must fit in the window, or waiting for room could never end.
        let batch = max(1, min(80 * 1024 / message.count, throughputWindow > 0 ? throughputWindow : .max))
        let start = NATSLatencyStamp.now()
        var inFlight: EventLoopFuture<Void>?
        var remaining = throughputMessages
        var windowWaits = 0
        var windowWaitNanos: UInt64 = 0
        while remaining > 0 {
            let count = min(batch, remaining)
            if throughputWindow > 0, throughputMessages - remaining + count - tally.throughputReceived > throughputWindow {
                windowWaits += 1
                let waitStart = NATSLatencyStamp.now()
                try await waitForWindow(published: throughputMessages - remaining + count, subscriber: subscriber, tally: tally)
                windowWaitNanos += NATSLatencyStamp.now() - waitStart
            }
            var buffer = publisher.channel.allocator.buffer(capacity: count * message.count)
            for _ in 0..<count { buffer.writeBytes(message) }
            let written = publisher.write(buffer)
            // Two writes outstanding: one in the socket, one being queued behind it.
            try await inFlight?.get()
            inFlight = written
            remaining -= count
        }
        try await inFlight?.get()
        let published = NATSLatencyStamp.now()
        try await publisher.flush()
        _ = try await Self.waitForCount(target: throughputMessages) { tally.throughputReceived }
        let state = tally.snapshot
        return NATSClusterFigures.Throughput(
            published: throughputMessages, received: state.throughputReceived,
            publishSeconds: Double(published - start) / 1e9,
            receiveSeconds: state.throughputReceived == 0 ? 0 : Double(state.throughputLastAt - start) / 1e9,
            window: throughputWindow, windowWaits: windowWaits, windowWaitSeconds: Double(windowWaitNanos) / 1e9)
    }

    /// Until publishing `published` keeps within the window. Woken by the subscriber's own
    /// callback, not by polling: a sleeping poll leaves the pipeline idle for a timer tick on
    /// every batch, which showed as 10–20 % less throughput than unbounded publishing.
    private func waitForWindow(published: Int, subscriber: NATSBenchClient, tally: NATSReceiveTally) async throws {
        guard subscriber.channel.isActive else {
            throw BenchError("the subscriber's connection to C closed during the throughput run (a slow consumer?)")
        }
        let room = subscriber.eventLoop.makePromise(of: Void.self)
        let threshold = published - throughputWindow
        let timeout = subscriber.eventLoop.scheduleTask(in: .seconds(10)) {
            room.fail(BenchError("fewer than \(threshold) of \(published) throughput messages reached C after 10 s more"))
        }
        tally.notify(room, whenThroughputReceived: threshold)
        defer { timeout.cancel() }
        try await room.futureResult.get()
    }

    /// Waits until `count()` reaches `target` or stops growing for `quiet` (messages lost: a slow
    /// consumer cut off, say), and returns the last count.
    private static func waitForCount(
        target: Int, quiet: Duration = .seconds(3), limit: Duration = .seconds(300), _ count: () -> Int
    ) async throws -> Int {
        let watch = Stopwatch()
        var last = count()
        var lastChange = Stopwatch()
        while last < target, lastChange.elapsed < quiet, watch.elapsed < limit {
            try await Task.sleep(for: .milliseconds(10))
            let now = count()
            if now != last {
                last = now
                lastChange = Stopwatch()
            }
        }
        return last
    }
}

/// What the subscriber has received, updated by its event loop thread, read by the bench.
final class NATSReceiveTally: Sendable {
    static let probeSID = 1
    static let latencySID = 2
    static let throughputSID = 3

    struct State: Sendable {
        var probes = 0
        /// One-way latency of each first receipt, in nanoseconds.
        var latencyNanos: [UInt64] = []
        var latencySeen: [Bool]
        var latencyReceived = 0
        var duplicates = 0
        var outOfOrder = 0
        var highestSequence: UInt64?
        var throughputReceived = 0
        var throughputLastAt: UInt64 = 0
        /// Completed (outside the lock) once `throughputReceived` reaches `threshold`.
        var throughputWaiter: (threshold: Int, promise: EventLoopPromise<Void>)?
        var malformed = 0
    }

    let payloadBytes: Int
    let latencyCount: Int
    private let state: Locked<State>

    init(payloadBytes: Int, latencyCount: Int) {
        self.payloadBytes = payloadBytes
        self.latencyCount = latencyCount
        var initial = State(latencySeen: Array(repeating: false, count: latencyCount))
        initial.latencyNanos.reserveCapacity(latencyCount)
        state = Locked(initial)
    }

    var probes: Int { state.withLock { $0.probes } }

    /// Counts only: polled while a phase runs, so the event loop's next append never has to
    /// copy a sample array that a poll still holds.
    var latencyReceived: Int { state.withLock { $0.latencyReceived } }
    var throughputReceived: Int { state.withLock { $0.throughputReceived } }

    /// Everything, samples included: read once a phase is over.
    var snapshot: State { state.value }

    /// Completes `promise` once `throughputReceived` reaches `threshold` (at once if it has);
    /// one waiter at a time, as the publisher waits for one batch's room at a time.
    func notify(_ promise: EventLoopPromise<Void>, whenThroughputReceived threshold: Int) {
        let reached = state.withLock { s -> Bool in
            if s.throughputReceived >= threshold { return true }
            s.throughputWaiter = (threshold, promise)
            return false
        }
        if reached { promise.succeed() }
    }

    func receive(_ message: NATSMessage) {
        let arrived = NATSLatencyStamp.now()
        let payloadBytes = self.payloadBytes
        let wake = state.withLock { s -> EventLoopPromise<Void>? in
            switch message.sid {
            case Self.throughputSID:
                guard message.payload.readableBytes == payloadBytes else { s.malformed += 1; return nil }
                s.throughputReceived += 1
                s.throughputLastAt = arrived
                if let waiter = s.throughputWaiter, s.throughputReceived >= waiter.threshold {
                    s.throughputWaiter = nil
                    return waiter.promise
                }
            case Self.latencySID:
                guard message.payload.readableBytes == payloadBytes, let stamp = NATSLatencyStamp.read(message.payload),
                      stamp.sequence < UInt64(s.latencySeen.count), stamp.sentAt <= arrived
                else { s.malformed += 1; return nil }
                let index = Int(stamp.sequence)
                if s.latencySeen[index] { s.duplicates += 1; return nil }
                s.latencySeen[index] = true
                s.latencyReceived += 1
                s.latencyNanos.append(arrived - stamp.sentAt)
                if let highest = s.highestSequence, stamp.sequence < highest { s.outOfOrder += 1 }
                s.highestSequence = max(s.highestSequence ?? 0, stamp.sequence)
            case Self.probeSID:
                s.probes += 1
            default:
                s.malformed += 1
            }
            return nil
        }
        wake?.succeed()
    }
}
