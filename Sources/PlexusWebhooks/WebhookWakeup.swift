import Synchronization

/// Wakes the dispatcher's run loop early: a publish, a finished attempt or a configuration change
/// may make something due sooner than the loop's timer.
///
/// A signal that arrives while the loop is busy is remembered, so the loop's next wait returns at
/// once instead of sleeping through it.
public final class WebhookWakeup: Sendable {
    public init() {}

    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.signalled = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns on a signal, after `timeout`, or when the task is cancelled, whichever is first.
    public func wait(timeout: Duration) async {
        if state.withLock({ state in defer { state.signalled = false }; return state.signalled }) { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // The timer is just another signal; cancelled (no signal) once the wait is over.
                if (try? await Task.sleep(for: timeout)) != nil { self.signal() }
            }
            group.addTask { await self.waitForSignal() }
            await group.next()
            group.cancelAll()
        }
        // A timer that fired just as a real signal arrived leaves a stale flag: one extra, harmless,
        // loop iteration at most.
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.signalled || Task.isCancelled {
                        state.signalled = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
