import PlexusCore

/// The routing cores of one forwarded hop, in this process, with no I/O: n1 originates messages
/// for an agent on n2, n2 receives, persists, delivers and acknowledges them, n1 takes the acks
/// and releases its outbox — the per-message core work both mesh drivers do in the forwarding
/// benchmark, including n1's flow-control window and a full outbox waiting behind it. The
/// figure is each core's CPU per message; the node's event loop runs its core on one thread.
///
/// Frames and acks cross in batches (as one read of a link carries many), the simulated clock
/// advances a fixed step per message, and the cores' timers fire when due (acks come back
/// within one step, so no transmission times out: this measures the core's bookkeeping, not
/// loss recovery).
struct RoutingHopBench: Sendable {
    var payload: [UInt8]
    /// Messages admitted per ingest batch at n1 (one WebSocket frame in the forwarding benchmark).
    var batch = 200

    struct Phase: Sendable {
        var name: String
        var held: Int
        var messages: Int
        var originSeconds: Double
        var receiverSeconds: Double
        /// Timer firings of both cores in the measured part.
        var timersFired: Int

        var originMicroseconds: Double { messages > 0 ? originSeconds * 1e6 / Double(messages) : 0 }
        var receiverMicroseconds: Double { messages > 0 ? receiverSeconds * 1e6 / Double(messages) : 0 }
        /// Messages per second through the hop if both cores shared one thread.
        var messagesPerSecond: Double { originSeconds + receiverSeconds > 0 ? Double(messages) / (originSeconds + receiverSeconds) : 0 }
    }

    static let subject = "agent-remote"

    func run() throws -> [Phase] {
        let pair = try MeshCorePair.converged(subjects: [Self.subject])
        let cases: [(name: String, held: Int, measured: Int)] = [
            ("a hop, up to 1,000 held at n1", 1_000, 200_000),
            ("a hop, up to 50,000 held at n1 (the forwarding benchmark's window)", 50_000, 200_000),
        ]
        return cases.map { c in
            var hop = Hop(pair: pair, payload: payload, batch: batch, held: c.held)
            // Past the de-duplication window (both cores then evict an id per message, as a
            // node does after its first 200,000) and past n1's outbox filling up.
            hop.run(messages: max(2 * c.held, RoutingSettings().dedupeWindow) + 20_000)
            hop.originSeconds = 0
            hop.receiverSeconds = 0
            hop.timersFired = 0
            let start = hop.delivered
            hop.run(messages: c.measured)
            return Phase(name: c.name, held: c.held, messages: hop.delivered - start,
                         originSeconds: hop.originSeconds, receiverSeconds: hop.receiverSeconds, timersFired: hop.timersFired)
        }
    }

    /// Both cores and the frames between them.
    private struct Hop {
        var origin: RoutingCore
        var receiver: RoutingCore
        let payload: [UInt8]
        let batch: Int
        let held: Int
        var rng = SplitMix64(seed: 42)
        var clock: Int64 = 1_000_000_000
        var toReceiver: [DataFrame] = []
        var toOrigin: [DataAck] = []
        /// Armed timers of n1 (`origin`) and n2, by when they fire.
        var originTimers: [(at: MeshInstant, timer: RoutingTimer)] = []
        var receiverTimers: [(at: MeshInstant, timer: RoutingTimer)] = []
        var timersFired = 0
        var delivered = 0
        var originSeconds = 0.0
        var receiverSeconds = 0.0

        init(pair: MeshCorePair, payload: [UInt8], batch: Int, held: Int) {
            origin = RoutingCore(me: pair.n1.me)
            receiver = RoutingCore(me: pair.n2.me)
            _ = origin.syncAll(pair.n1, now: MeshInstant(nanoseconds: clock))
            _ = receiver.syncAll(pair.n2, now: MeshInstant(nanoseconds: clock))
            self.payload = payload
            self.batch = batch
            self.held = held
        }

        var now: MeshInstant { MeshInstant(nanoseconds: clock) }

        mutating func run(messages: Int) {
            let goal = delivered + messages
            while delivered < goal {
                let admit = origin.heldCount + batch <= held
                // Nothing to admit and nothing crossing: the cores stalled (no route); the phase
                // then reports the messages that got through.
                guard admit || !toReceiver.isEmpty || !toOrigin.isEmpty else { return }
                if admit { admitBatch() }
                receiveFrames()
                takeAcks()
                fireTimers()
            }
        }

        /// One ingest batch: offered, then (the log committed) persisted.
        private mutating func admitBatch() {
            var ids: [MessageID] = []
            ids.reserveCapacity(batch)
            let watch = Stopwatch()
            for _ in 0..<batch {
                clock += 5_000
                let id = MessageID.v7(now: Timestamp(microseconds: clock / 1_000), rng: &rng)
                if case .accepted = origin.originate(id, payload: payload, destinations: [RoutingHopBench.subject], topic: "bench.hop", now: now) {
                    ids.append(id)
                }
            }
            var out: [ForwardDirective] = []
            for id in ids { out += origin.persisted(id, now: now) }
            originSeconds += watch.seconds
            carry(out)
        }

        /// What one read of the link carries at n2: taken, committed, delivered and acked.
        private mutating func receiveFrames() {
            guard !toReceiver.isEmpty else { return }
            let frames = toReceiver
            toReceiver = []
            let watch = Stopwatch()
            var accepted: [MessageID] = []
            var out: [ForwardDirective] = []
            for frame in frames {
                let (admission, directives) = receiver.receive(frame, from: origin.me, now: now)
                out += directives
                if case .accepted = admission { accepted.append(frame.id) }
            }
            for id in accepted { out += receiver.persisted(id, now: now) }
            receiverSeconds += watch.seconds
            carry(out, atReceiver: true)
        }

        private mutating func takeAcks() {
            guard !toOrigin.isEmpty else { return }
            let acks = toOrigin
            toOrigin = []
            let watch = Stopwatch()
            let out = origin.acked(acks, from: receiver.me, now: now)
            originSeconds += watch.seconds
            carry(out)
        }

        private mutating func fireTimers() {
            let due = now
            let dueAtOrigin = originTimers.filter { $0.at <= due }
            let dueAtReceiver = receiverTimers.filter { $0.at <= due }
            guard !dueAtOrigin.isEmpty || !dueAtReceiver.isEmpty else { return }
            originTimers.removeAll { $0.at <= due }
            receiverTimers.removeAll { $0.at <= due }
            timersFired += dueAtOrigin.count + dueAtReceiver.count
            for t in dueAtOrigin {
                let watch = Stopwatch()
                let out = origin.timerFired(t.timer, now: now)
                originSeconds += watch.seconds
                carry(out)
            }
            for t in dueAtReceiver {
                let watch = Stopwatch()
                let out = receiver.timerFired(t.timer, now: now)
                receiverSeconds += watch.seconds
                carry(out, atReceiver: true)
            }
        }

        private mutating func carry(_ directives: [ForwardDirective], atReceiver: Bool = false) {
            for d in directives {
                switch d {
                case .send(let frame, _): toReceiver.append(frame)
                case .ack(let ack, _): toOrigin.append(ack)
                case .deliver: delivered += 1
                case .schedule(let timer, let after):
                    if atReceiver { receiverTimers.append((now + after, timer)) } else { originTimers.append((now + after, timer)) }
                case .released, .deadLetter, .checkPeer: break
                }
            }
        }
    }
}
