import DequeModule
import Synchronization

/// A bounded queue between the tasks reading an edge's subscriptions and the loops that log in
/// batches: `next(max:)` waits for at least one element and takes what is there, up to `max`.
/// Several loops may wait in `next` at once; each push wakes one.
/// `push` waits while the queue is full, so a slow log pushes back on the subscriptions, whose
/// own bounded buffers then drop and count (core NATS has no other back pressure).
final class BatchQueue<Element: Sendable>: Sendable {
    private struct State {
        var items = Deque<Element>()
        var takers: [CheckedContinuation<Void, Never>] = []
        var pushers: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    func push(_ element: Element) async {
        while true {
            let wait = state.withLock { state -> Bool in
                state.items.count >= capacity && !state.closed
            }
            if !wait { break }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.items.count < capacity || state.closed { return true }
                    state.pushers.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        let taker = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.closed else { return nil }
            state.items.append(element)
            return state.takers.isEmpty ? nil : state.takers.removeFirst()
        }
        taker?.resume()
    }

    /// At least one element and at most `max`, or empty once closed and drained.
    func next(max: Int) async -> [Element] {
        while true {
            let (taken, pushers) = state.withLock { state -> ([Element], [CheckedContinuation<Void, Never>]) in
                let count = min(max, state.items.count)
                let taken = Array(state.items.prefix(count))
                state.items.removeFirst(count)
                defer { if count > 0 { state.pushers.removeAll() } }
                return (taken, count > 0 ? state.pushers : [])
            }
            for pusher in pushers { pusher.resume() }
            if !taken.isEmpty { return taken }
            let closed = state.withLock { $0.closed }
            if closed { return [] }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.items.isEmpty || state.closed { return true }
                    state.takers.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Wakes everyone; `next` returns what is left, then nothing.
    func close() {
        let (takers, pushers) = state.withLock { state -> ([CheckedContinuation<Void, Never>], [CheckedContinuation<Void, Never>]) in
            state.closed = true
            defer {
                state.takers.removeAll()
                state.pushers.removeAll()
            }
            return (state.takers, state.pushers)
        }
        for taker in takers { taker.resume() }
        for pusher in pushers { pusher.resume() }
    }
}
