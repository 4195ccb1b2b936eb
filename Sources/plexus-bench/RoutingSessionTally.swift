import Synchronization

/// What one agent session (`/v1/subjects/{id}/session`) has received, written by its event loop
/// once per read burst and read by the benchmark at any time.
final class RoutingSessionTally: Sendable {
    /// One latency sample: the message's `bench_seq` and send-to-receive time on the monotonic clock.
    struct Sample: Sendable {
        var seq: Int
        var nanos: UInt64
    }

    /// A whole delivered envelope kept for the per-hop breakdown (a sample of the messages),
    /// with the wall-clock time it arrived.
    struct Kept: Sendable {
        var seq: Int
        var receivedWall: Int64
        var frame: [UInt8]
    }

    struct Detail: Sendable {
        var samples: [Sample] = []
        var kept: [Kept] = []
        /// Frames that were not an envelope with a `message_uuid` (a problem frame, say).
        var unexpected: [String] = []
    }

    let delivered = Atomic<Int>(0)
    /// Monotonic time of the last delivery.
    let lastAt = Atomic<UInt64>(0)
    let closed = Atomic<Bool>(false)
    let detail = Mutex(Detail())

    func reset() {
        delivered.store(0, ordering: .relaxed)
        detail.withLock { $0 = Detail() }
    }
}
