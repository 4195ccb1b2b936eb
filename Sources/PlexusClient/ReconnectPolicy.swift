/// How a session watch reconnects after its WebSocket drops: a few tries with growing, jittered
/// delays, then the error. Pure: the shell passes the random fraction in, so a test can pin it.
public struct ReconnectPolicy: Sendable, Hashable {
    /// Reconnections in a row without a frame in between before giving up.
    public var maxAttempts: Int
    public var initialDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 5, initialDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(5)) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }

    /// The wait before reconnection number `attempt` (1-based), or nil when no attempt is left.
    /// `jitter` in 0..<1 spreads the second half of the delay, so many clients dropped at once by
    /// a restarting node do not return at once.
    public func delay(attempt: Int, jitter: Double) -> Duration? {
        guard attempt >= 1, attempt <= maxAttempts else { return nil }
        let doubled = initialDelay * (1 << min(attempt - 1, 20))
        let base = min(doubled, maxDelay)
        return base / 2 + (base / 2) * min(max(jitter, 0), 1)
    }
}
