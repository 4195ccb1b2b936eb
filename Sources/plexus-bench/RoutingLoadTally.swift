import Synchronization

/// Counters shared by every connection of one ingest load, and the switch that stops it.
final class RoutingLoadTally: Sendable {
    /// Messages written in frames so far (acked or not).
    let sent = Atomic<Int>(0)
    /// Messages in frames the node acknowledged with `"status":"ok"`: logged at the origin.
    let accepted = Atomic<Int>(0)
    /// Messages in frames the node refused (a 503 when the outbox is full, say).
    let refused = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    let firstRefusal = Mutex<String?>(nil)

    /// Sent and not refused: what should eventually be delivered.
    var admitted: Int { sent.load(ordering: .relaxed) - refused.load(ordering: .relaxed) }
}
