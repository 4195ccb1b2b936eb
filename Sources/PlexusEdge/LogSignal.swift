import Synchronization

/// Wakes the edges' log followers when the node logged something they may publish. A follower
/// also wakes after a timeout, so a missed signal only costs latency.
public final class LogSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextToken: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Something new is in the log.
    public func poke() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for continuation in woken { continuation.resume() }
    }

    /// The current generation: pass it to `wait(after:timeout:)` so a poke between reading the
    /// log and waiting is not missed.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Returns once the generation moved past `seen` (at once if it already has), after
    /// `timeout`, or when the task is cancelled.
    public func wait(after seen: UInt64, timeout: Duration) async {
        let token = state.withLock { state -> UInt64 in
            state.nextToken &+= 1
            return state.nextToken
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.resume(token)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.generation != seen || Task.isCancelled { return true }
                    state.waiters[token] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            resume(token)
        }
        timer.cancel()
    }

    private func resume(_ token: UInt64) {
        state.withLock { $0.waiters.removeValue(forKey: token) }?.resume()
    }
}
