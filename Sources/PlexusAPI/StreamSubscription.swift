import Collections
import NIOCore
import PlexusCore
import Synchronization

/// One live-stream client's bounded queue of frames.
///
/// The hub never waits for a client: it appends here and moves on. When a client stops reading,
/// its writer blocks on the socket, this queue fills, and at `capacity` the subscription is ended
/// as too slow (RELIABILITY F8) — the frames it would have got are counted as dropped, and no other
/// client notices.
public final class StreamSubscription: Sendable {
    public enum EndReason: Sendable, Hashable {
        /// The client fell `capacity` frames behind.
        case tooSlow
        /// The client went away or the node is shutting down.
        case closed
    }

    struct State {
        var queue: Deque<ByteBuffer> = []
        var waiter: CheckedContinuation<[ByteBuffer]?, Never>?
        var ended: EndReason?
        var dropped = 0
        var endWaiters: [CheckedContinuation<Void, Never>] = []
    }

    public let id: Int
    public let filter: StreamFilter
    public let capacity: Int
    private let state = Mutex(State())

    init(id: Int, filter: StreamFilter, capacity: Int) {
        self.id = id
        self.filter = filter
        self.capacity = capacity
    }

    /// Offers a frame; returns false if this enqueue ended the subscription as too slow.
    func offer(_ frame: ByteBuffer) -> Bool {
        let (waiter, endWaiters): (CheckedContinuation<[ByteBuffer]?, Never>?, [CheckedContinuation<Void, Never>]?) = state.withLock { state in
            if state.ended != nil {
                state.dropped += 1
                return (nil, nil)
            }
            if let waiter = state.waiter {
                state.waiter = nil
                // Hand the frame straight to the waiting writer.
                return (waiter, nil)
            }
            if state.queue.count >= capacity {
                state.ended = .tooSlow
                state.dropped += state.queue.count + 1
                state.queue.removeAll()
                defer { state.endWaiters = [] }
                return (nil, state.endWaiters)
            }
            state.queue.append(frame)
            return (nil, nil)
        }
        waiter?.resume(returning: [frame])
        guard let endWaiters else { return true }
        for endWaiter in endWaiters { endWaiter.resume() }
        return false
    }

    /// Waits for the next frames, all that are queued. Nil once the subscription ended (check
    /// `endReason`) or the calling task was cancelled.
    public func next() async -> [ByteBuffer]? {
        let ready: [ByteBuffer]?? = state.withLock { state in
            if state.ended != nil { return .some(nil) }
            if !state.queue.isEmpty {
                let frames = Array(state.queue)
                state.queue.removeAll(keepingCapacity: true)
                return .some(frames)
            }
            return .none
        }
        if let ready { return ready }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[ByteBuffer]?, Never>) in
                let resumeNow: [ByteBuffer]?? = state.withLock { state in
                    if state.ended != nil || Task.isCancelled { return .some(nil) }
                    if !state.queue.isEmpty {
                        let frames = Array(state.queue)
                        state.queue.removeAll(keepingCapacity: true)
                        return .some(frames)
                    }
                    state.waiter = continuation
                    return .none
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            end(.closed)
        }
    }

    /// Ends the subscription and wakes its writer.
    public func end(_ reason: EndReason) {
        let (waiter, endWaiters) = state.withLock { state in
            if state.ended == nil { state.ended = reason }
            state.queue.removeAll()
            defer {
                state.waiter = nil
                state.endWaiters = []
            }
            return (state.waiter, state.endWaiters)
        }
        waiter?.resume(returning: nil)
        for endWaiter in endWaiters { endWaiter.resume() }
    }

    /// Returns once the subscription has ended, for whatever reason. The stream handler races
    /// this against its writer, which may be stuck on a client that stopped reading.
    public func ended() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.ended != nil { return true }
                state.endWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    public var endReason: EndReason? { state.withLock { $0.ended } }
    /// Frames this client did not get because it was too slow.
    public var droppedFrames: Int { state.withLock { $0.dropped } }
}
