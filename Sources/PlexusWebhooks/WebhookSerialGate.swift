import Synchronization

/// An async mutex: callers run one at a time, in arrival order.
///
/// The delivery store has one SQLite connection, and some of its operations are several
/// statements in one transaction; without this, two callers' statements could interleave inside
/// each other's BEGIN…COMMIT. Waiting is not cancellable: every guarded operation is a few short
/// statements, and abandoning one half-way would be worse than waiting for it.
public final class WebhookSerialGate: Sendable {
    public init() {}

    private struct State {
        var busy = false
        // Few waiters at a time (the run loop, a publish, a reader): an array is plenty.
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    public func withLock<T>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let immediate = state.withLock { state in
                if state.busy {
                    state.waiters.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if immediate { continuation.resume() }
        }
    }

    private func release() {
        // Hand the lock straight to the next waiter (busy stays true), so no newcomer can barge in.
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.busy = false
            return nil
        }
        next?.resume()
    }
}
