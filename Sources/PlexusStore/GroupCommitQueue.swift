import Synchronization

/// The queue between the callers of a store's `append` and its one writer task, shared by the
/// SQLite and PostgreSQL logs.
///
/// Callers queue whole append calls and suspend; the writer takes everything queued (whole calls,
/// up to a row budget) plus the housekeeping that accumulated (outbox releases, dead letters,
/// inbox acks), commits it in one transaction, and resumes each caller with its outcomes. The
/// writer suspends while there is nothing to do. Cancelling a caller does not withdraw its
/// records: once queued they are committed and the call waits for that, so its outcome is never
/// unknown.
///
/// Housekeeping is urgent (dead letters, inbox acks: the writer wakes for them) or lazy
/// (outbox releases: a release lost in a crash only costs a retransmission the next hop
/// de-duplicates). Lazy housekeeping rides along with the next commit, or is committed by
/// itself `lazyDelay` after it queued: under light load a release would otherwise cost a
/// transaction (an fsync) and a writer wake-up of its own for every message forwarded.
///
/// `Payload` is what a store prepares from an append's records on the caller's task, before
/// queueing (the PostgreSQL log encodes its COPY rows there, off the writer's serial path; on a
/// mesh node the forwarder's appends run on the mesh driver's loop, so there it is that loop);
/// `Void` for none.
public final class GroupCommitQueue<Payload: Sendable>: Sendable {
    /// One waiting `append` call.
    public struct Pending: Sendable {
        public var records: [LogRecord]
        public var payload: Payload
        let continuation: CheckedContinuation<[AppendOutcome], any Error>

        public func succeed(_ outcomes: [AppendOutcome]) { continuation.resume(returning: outcomes) }
        public func fail(_ error: any Error) { continuation.resume(throwing: error) }
    }

    private struct State {
        var closed = false
        var pending: [Pending] = []
        var housekeeping = LogHousekeeping()
        /// `housekeeping` holds something that must not wait.
        var urgent = false
        /// When lazy housekeeping first queued since the last commit took housekeeping.
        var lazySince: ContinuousClock.Instant?
        /// A lazy timer is armed. At most one at a time: under light load every commit ends a
        /// lazy spell and the next release starts one, and a timer task per spell cost the
        /// pool a wake-up and a dispatch timer per message forwarded.
        var lazyTimerArmed = false
        var wakeup: CheckedContinuation<Void, Never>?
        /// A `wake()` that came while the writer was not waiting: its next wait returns at once,
        /// so a timer firing just before the writer suspends is not lost.
        var woken = false
    }

    private let state = Mutex(State())
    private let closedError: @Sendable () -> any Error
    let lazyDelay: Duration

    /// - Parameters:
    ///   - closedError: what an append after `close()` fails with.
    ///   - lazyDelay: how long lazy housekeeping waits for a commit to ride along with.
    public init(lazyDelay: Duration = .milliseconds(100), closedError: @escaping @Sendable () -> any Error) {
        self.lazyDelay = lazyDelay
        self.closedError = closedError
    }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Queues the records and returns their outcomes once the writer committed them.
    public func append(_ records: [LogRecord], payload: Payload) async throws -> [AppendOutcome] {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[AppendOutcome], any Error>) in
            let decision: Decision = state.withLock { state in
                if state.closed { return .closed }
                if records.isEmpty { return .empty }
                state.pending.append(Pending(records: records, payload: payload, continuation: continuation))
                defer { state.wakeup = nil }
                return .queued(wake: state.wakeup)
            }
            switch decision {
            case .closed: continuation.resume(throwing: closedError())
            case .empty: continuation.resume(returning: [])
            case .queued(let wake): wake?.resume()
            }
        }
    }

    /// Adds housekeeping for the next commit (ignored once closed). Urgent housekeeping wakes
    /// the writer; lazy housekeeping waits for the next commit, at most `lazyDelay`.
    public func housekeep(lazy: Bool = false, _ change: (inout LogHousekeeping) -> Void) {
        let then = state.withLock { state -> HousekeepingDecision in
            guard !state.closed else { return .nothing }
            change(&state.housekeeping)
            if !lazy {
                state.urgent = true
                defer { state.wakeup = nil }
                return .wake(state.wakeup)
            }
            guard state.lazySince == nil else { return .nothing }
            state.lazySince = .now
            guard !state.lazyTimerArmed else { return .nothing }
            state.lazyTimerArmed = true
            return .armTimer
        }
        switch then {
        case .nothing: break
        case .wake(let continuation): continuation?.resume()
        case .armTimer: armLazyTimer(after: lazyDelay)
        }
    }

    /// One timer at a time, not one per item or spell: armed when a lazy spell starts and none
    /// is armed; an armed timer serves whatever spell is open when it fires.
    private func armLazyTimer(after delay: Duration) {
        Task { [weak self] in
            try? await Task.sleep(for: delay)
            self?.lazyTimerFired()
        }
    }

    /// Wakes the writer for lazy housekeeping that is due, if it waits. Nothing when a commit
    /// took the housekeeping meanwhile (so a stale timer never costs the writer an empty turn,
    /// which for the PostgreSQL writer would also drain its pipeline), nor when the writer is
    /// busy: its next `next` finds the housekeeping due by itself. Armed again should the timer
    /// ever fire before the housekeeping is due (a spell that started after it was armed).
    private func lazyTimerFired() {
        let then = state.withLock { state -> LazyTimerDecision in
            state.lazyTimerArmed = false
            guard let since = state.lazySince, !state.housekeeping.isEmpty, !state.closed else { return .nothing }
            let left = lazyDelay - (ContinuousClock.now - since)
            if left > .zero {
                state.lazyTimerArmed = true
                return .again(left)
            }
            guard let wakeup = state.wakeup else { return .nothing }
            state.wakeup = nil
            return .wake(wakeup)
        }
        switch then {
        case .nothing: break
        case .wake(let continuation): continuation.resume()
        case .again(let left): armLazyTimer(after: left)
        }
    }

    /// Housekeeping a failed commit did not write goes back to the front.
    public func putBack(_ housekeeping: LogHousekeeping) {
        guard !housekeeping.isEmpty else { return }
        state.withLock {
            $0.housekeeping.prepend(housekeeping)
            $0.urgent = true
        }
    }

    /// Wakes a waiting writer without new work (it then sees `isClosed`, or a timer fired).
    public func wake() {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let wakeup = state.wakeup else {
                state.woken = true
                return nil
            }
            state.wakeup = nil
            return wakeup
        }
        wake?.resume()
    }

    /// Refuses appends from now on; the writer drains what is queued, then `next` returns nil.
    public func close() {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            defer { state.wakeup = nil }
            return state.wakeup
        }
        wake?.resume()
    }

    /// The next batch: whole append calls from the front, up to `maxRows` rows (at least one
    /// call), and the housekeeping when `withHousekeeping`. Waits while there is none; with
    /// `wakeAfter`, returns an empty batch after that long anyway (a writer that must retry or
    /// drain something of its own). Nil once closed and drained.
    public func next(maxRows: Int, withHousekeeping: Bool = true, wakeAfter: Duration? = nil) async -> ([Pending], LogHousekeeping)? {
        switch state.withLock({ take(&$0, maxRows: maxRows, withHousekeeping: withHousekeeping) }) {
        case .batch(let batch, let housekeeping): return (batch, housekeeping)
        case .finished: return nil
        case .wait: break
        }
        if wakeAfter == .zero { return ([], LogHousekeeping()) }
        // `woken` is cleared only where a wait consumes it: a wake() that came since the last
        // wait (a commit that failed while the writer was busy) must end this one, and a stale
        // one costs the writer one empty turn at most.
        let timer: Task<Void, Never>? = wakeAfter.map { delay in
            Task { [weak self] in
                // A cancelled timer (the writer woke for another reason) must not wake it again.
                guard (try? await Task.sleep(for: delay)) != nil else { return }
                self?.wake()
            }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                // Due lazy housekeeping counts too: its timer may have fired between the take
                // above and this wait, found no writer waiting, and left it to this writer.
                if state.woken || !state.pending.isEmpty || (withHousekeeping && housekeepingDue(state)) || state.closed {
                    state.woken = false
                    return true
                }
                state.wakeup = continuation
                return false
            }
            if ready { continuation.resume() }
        }
        timer?.cancel()
        switch state.withLock({ take(&$0, maxRows: maxRows, withHousekeeping: withHousekeeping) }) {
        case .batch(let batch, let housekeeping): return (batch, housekeeping)
        case .finished: return nil
        case .wait: return ([], LogHousekeeping())
        }
    }

    private enum Decision { case closed, empty, queued(wake: CheckedContinuation<Void, Never>?) }

    private enum HousekeepingDecision { case nothing, wake(CheckedContinuation<Void, Never>?), armTimer }

    private enum LazyTimerDecision { case nothing, wake(CheckedContinuation<Void, Never>), again(Duration) }

    private enum Step { case batch([Pending], LogHousekeeping), finished, wait }

    /// Housekeeping that is to be committed now: urgent, closing, or lazy for `lazyDelay`.
    private func housekeepingDue(_ state: State) -> Bool {
        !state.housekeeping.isEmpty
            && (state.urgent || state.closed || state.lazySince.map { ContinuousClock.now - $0 >= lazyDelay } ?? false)
    }

    private func take(_ state: inout State, maxRows: Int, withHousekeeping: Bool) -> Step {
        if !state.pending.isEmpty || (withHousekeeping && housekeepingDue(state)) {
            var rows = 0
            var count = 0
            for append in state.pending {
                if count > 0, rows + append.records.count > maxRows { break }
                rows += append.records.count
                count += 1
            }
            let batch = Array(state.pending[..<count])
            state.pending.removeFirst(count)
            var housekeeping = LogHousekeeping()
            if withHousekeeping {
                swap(&housekeeping, &state.housekeeping)
                state.urgent = false
                state.lazySince = nil
            }
            return .batch(batch, housekeeping)
        }
        return state.closed ? .finished : .wait
    }
}

extension GroupCommitQueue where Payload == Void {
    public func append(_ records: [LogRecord]) async throws -> [AppendOutcome] {
        try await append(records, payload: ())
    }
}
