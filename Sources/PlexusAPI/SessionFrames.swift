import NIOCore
import Synchronization

/// The frames waiting for one connected subject session, in order: the inbox pushes each
/// message as it is delivered, the session's writer takes everything queued at once.
///
/// Not an `AsyncStream`: that hands over one element per call, and the writer wants the whole
/// backlog of a busy moment — to write it in batch frames (`?frames=batch`) and to wake once
/// per batch, not once per message.
///
/// One consumer (the session's writer task). `push` and `finish` run under the inbox lock and
/// resume the waiting writer there: resuming only schedules its task, it takes no other lock.
/// Cancelling the waiting writer finishes the queue: the session is over.
final class SessionFrames: Sendable {
    private struct State {
        var queued: [ByteBuffer] = []
        var waiter: CheckedContinuation<[ByteBuffer]?, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    /// Queues a frame; after `finish` it is dropped (the message stays pending in its inbox).
    func push(_ frame: ByteBuffer) {
        let waiter = state.withLock { state -> CheckedContinuation<[ByteBuffer]?, Never>? in
            guard !state.finished else { return nil }
            guard let waiter = state.waiter else {
                state.queued.append(frame)
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: [frame])
    }

    /// Ends the session's frames: a waiting or later `next` returns nil.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<[ByteBuffer]?, Never>? in
            state.finished = true
            state.queued = []
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Everything queued, oldest first, waiting for at least one frame; nil once finished or
    /// when the waiting task is cancelled.
    func next() async -> [ByteBuffer]? {
        if let ready = take() { return ready }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: [ByteBuffer]?? = state.withLock { state in
                    if !state.queued.isEmpty {
                        defer { state.queued = [] }
                        return .some(state.queued)
                    }
                    if state.finished { return .some(nil) }
                    precondition(state.waiter == nil, "SessionFrames has one consumer")
                    state.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            finish()
        }
    }

    /// Whether the writer is parked in `next` (for tests).
    var hasWaiter: Bool { state.withLock { $0.waiter != nil } }

    /// The queued frames without waiting; nil when there are none.
    private func take() -> [ByteBuffer]? {
        state.withLock { state in
            guard !state.queued.isEmpty else { return nil }
            defer { state.queued = [] }
            return state.queued
        }
    }
}
