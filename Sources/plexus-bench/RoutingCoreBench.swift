import PlexusCore

/// The routing core alone, in this process, with no I/O: the work the mesh driver's one event-loop
/// thread does per message at an origin (`originate`, then `persisted` once the log committed),
/// with a given number of messages held — the ceiling that thread puts on a node before any
/// parsing, logging or sending. Measured with small and large outboxes, and once the core's
/// de-duplication memory (`RoutingSettings.dedupeWindow`, 200,000 ids) is full.
struct RoutingCoreBench: Sendable {
    var payload: [UInt8]
    /// Messages measured once the de-duplication window is full (each then also evicts the oldest id).
    var afterFull = 5_000

    struct Phase: Sendable {
        var name: String
        var outbox: Int
        var messages: Int
        var seconds: Double

        var microsecondsPerMessage: Double { messages > 0 ? seconds * 1e6 / Double(messages) : 0 }
        var messagesPerSecond: Double { seconds > 0 ? Double(messages) / seconds : 0 }
    }

    /// Each case on a fresh core: `outbox` messages held throughout, `prefill` messages run
    /// unmeasured first, then `measured` messages timed.
    func run() -> [Phase] {
        let window = RoutingSettings().dedupeWindow
        let cases: [(name: String, outbox: Int, prefill: Int, measured: Int)] = [
            ("first 100,000 msgs, 100 held", 100, 0, 100_000),
            ("first 100,000 msgs, 3,000 held", 3_000, 0, 100_000),
            ("first 50,000 msgs, 30,000 held", 30_000, 0, 50_000),
            ("after \(BenchFigure.format(Double(window))) msgs (de-dup window full), 100 held", 100, window + 1, afterFull),
        ]
        return cases.map { c in
            var core = RoutingCore(me: NodeID(RoutingCluster.id("n1")))
            var feed = Feed(outbox: c.outbox)
            feed.step(&core, payload: payload, count: c.prefill)
            let watch = Stopwatch()
            feed.step(&core, payload: payload, count: c.measured)
            return Phase(name: c.name, outbox: c.outbox, messages: c.measured, seconds: watch.seconds)
        }
    }

    /// Originates messages and persists each once `outbox` newer ones have been originated.
    private struct Feed {
        let outbox: Int
        var rng = SplitMix64(seed: 42)
        var ids: [MessageID] = []
        var clock: Int64 = 1_000_000_000

        init(outbox: Int) { self.outbox = outbox }

        mutating func step(_ core: inout RoutingCore, payload: [UInt8], count: Int) {
            guard count > 0 else { return }
            for _ in 0..<count {
                clock += 10_000
                let now = MeshInstant(nanoseconds: clock)
                let id = MessageID.v7(now: Timestamp(microseconds: clock / 1_000), rng: &rng)
                ids.append(id)
                _ = core.originate(id, payload: payload, destinations: [], topic: "bench.route", now: now)
                if ids.count > outbox { _ = core.persisted(ids[ids.count - 1 - outbox], now: now) }
            }
        }
    }
}
