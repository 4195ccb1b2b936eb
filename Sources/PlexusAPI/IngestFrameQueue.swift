import NIOCore
import Synchronization

/// WebSocket ingest frames read from one connection and not yet handed to the ingestor. The
/// reader adds frames one by one; the ingest side takes all that are queued at once, so frames
/// that arrived while earlier ones were being committed go to the log together, in one trip
/// through the ingestor instead of one task, one hop to the mesh's loop and one queue entry at
/// the log's writer each.
final class IngestFrameQueue: Sendable {
    private struct State {
        var frames: [ByteBuffer] = []
        var finished = false
        var waiter: CheckedContinuation<[ByteBuffer]?, Never>?
    }
    private let state = Mutex(State())

    func push(_ frame: ByteBuffer) {
        let waiter = state.withLock { state -> CheckedContinuation<[ByteBuffer]?, Never>? in
            // A waiter exists only while nothing is queued: hand it this frame directly.
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.frames.append(frame)
            return nil
        }
        waiter?.resume(returning: [frame])
    }

    /// No more frames will come; `take` returns what is left, then nil.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<[ByteBuffer]?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Up to `limit` of the queued frames, oldest first, waiting for one if none is queued; nil
    /// once finished and drained. One taker at a time. Waiting ends only by a frame or `finish()`:
    /// the reader finishes the queue whenever it stops, cancelled or not.
    func take(upTo limit: Int) async -> [ByteBuffer]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[ByteBuffer]?, Never>) in
            let ready: [ByteBuffer]?? = state.withLock { state in
                if !state.frames.isEmpty {
                    let count = min(limit, state.frames.count)
                    defer { state.frames.removeFirst(count) }
                    return .some(Array(state.frames.prefix(count)))
                }
                if state.finished { return .some(nil) }
                precondition(state.waiter == nil, "IngestFrameQueue has one taker")
                state.waiter = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
