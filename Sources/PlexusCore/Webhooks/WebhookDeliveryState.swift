/// The life of one webhook delivery (one event to one endpoint):
///
/// ```
/// pending(due) ──beginAttempt──▶ attempting ──2xx──▶ succeeded
///      ▲                             │ ──410──▶ endpointGone (and the endpoint is disabled)
///      └──── 4xx/5xx/timeout/error ──┤ ──3xx, refused address, attempts or age used up──▶ failed
/// ```
///
/// Pure: the shell passes `now`, the schedule and the generator, persists the phase, and carries
/// out the returned action. `attempting` is never persisted: a delivery interrupted mid-attempt
/// (crash, shutdown) comes back as pending and is sent again. Receivers dedupe on `webhook-id`,
/// which is why at-least-once is the right side to err on.
public struct WebhookDeliveryState: Sendable, Hashable {
    public enum Phase: Sendable, Hashable {
        case pending(due: Timestamp)
        case attempting(number: Int, startedAt: Timestamp)
        case succeeded
        case failed(reason: String)
        case endpointGone
    }

    public private(set) var phase: Phase
    /// Attempts that finished (the one in flight is not counted until it does).
    public private(set) var attemptsMade: Int
    public let createdAt: Timestamp

    /// A new delivery, due at once.
    public init(createdAt: Timestamp) {
        self.phase = .pending(due: createdAt)
        self.attemptsMade = 0
        self.createdAt = createdAt
    }

    /// A delivery read back from storage.
    public init(restoring phase: Phase, attemptsMade: Int, createdAt: Timestamp) {
        if case .attempting = phase {
            // Was in flight when the process stopped: its outcome is unknown, so send it again.
            self.phase = .pending(due: createdAt)
        } else {
            self.phase = phase
        }
        self.attemptsMade = attemptsMade
        self.createdAt = createdAt
    }

    public var isFinished: Bool {
        switch phase {
        case .pending, .attempting: return false
        case .succeeded, .failed, .endpointGone: return true
        }
    }

    /// When the next attempt is due, while pending.
    public var due: Timestamp? {
        if case .pending(let due) = phase { return due }
        return nil
    }

    /// The run loop offers the delivery for sending.
    public mutating func beginAttempt(now: Timestamp) -> WebhookDeliveryAction {
        guard case .pending(let due) = phase, due <= now else { return .none }
        let number = attemptsMade + 1
        phase = .attempting(number: number, startedAt: now)
        return .send(attempt: number)
    }

    /// The attempt in flight ended with `outcome` at `now`.
    public mutating func attemptFinished(
        _ outcome: WebhookAttemptOutcome, now: Timestamp, schedule: WebhookRetrySchedule,
        using rng: inout some RandomNumberGenerator
    ) -> WebhookDeliveryAction {
        guard case .attempting = phase else {
            preconditionFailure("attemptFinished in phase \(phase)")
        }
        attemptsMade += 1
        switch outcome.verdict {
        case .delivered:
            phase = .succeeded
            return .markSucceeded
        case .gone:
            phase = .endpointGone
            return .disableEndpoint
        case .permanentFailure(let reason):
            phase = .failed(reason: reason)
            return .markFailed(reason: reason)
        case .transientFailure(let reason):
            if let at = schedule.nextAttempt(afterFailedAttempts: attemptsMade, createdAt: createdAt, now: now, using: &rng) {
                phase = .pending(due: at)
                return .scheduleRetry(at: at)
            }
            let why = attemptsMade >= schedule.maxAttempts
                ? "gave up after \(attemptsMade) attempts; the last: \(reason)"
                : "gave up after \(attemptsMade) attempts, the delivery's maximum age reached; the last: \(reason)"
            phase = .failed(reason: why)
            return .markFailed(reason: why)
        }
    }

    /// The attempt in flight was abandoned without an outcome (shutdown): pending again, due now,
    /// and the attempt does not count.
    public mutating func attemptAbandoned(now: Timestamp) {
        guard case .attempting = phase else { return }
        phase = .pending(due: now)
    }

    /// The endpoint was disabled (a 410 on another delivery, or by the operator): a pending
    /// delivery stops here. One in flight finishes its attempt first and is then stopped by the
    /// shell.
    public mutating func endpointDisabled() -> WebhookDeliveryAction {
        guard case .pending = phase else { return .none }
        phase = .endpointGone
        return .markGone
    }
}
