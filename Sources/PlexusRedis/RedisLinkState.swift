/// When one connection is up, when to try again, and what a command should do meanwhile.
///
/// Pure: the shell (``RedisSession``) reports connects, failures and losses with the current
/// instant and a random source, and asks for decisions. No sockets, no clock reads.
struct RedisLinkState: Sendable {
    enum Phase: Sendable, Equatable {
        case connected
        /// Not connected; the next attempt may start at `retryAt`.
        case down(retryAt: ContinuousClock.Instant)
        case unavailable
        case closed
    }

    enum CommandDecision: Sendable, Equatable {
        case send
        /// Connect now, then send.
        case connectFirst
        /// Fail at once: within a backoff wait, or permanently.
        case fail(RedisError)
    }

    enum IdleDecision: Sendable, Equatable {
        case waitForWork
        case waitUntil(ContinuousClock.Instant)
        case connect
    }

    let endpoint: String
    private(set) var phase: Phase
    private(set) var backoff: RedisBackoff
    private(set) var lastError: RedisError?
    private(set) var reconnectCount = 0
    private(set) var consecutiveFailures = 0
    private var everConnected = false

    /// Starts down with an attempt due at once, so a new connection connects without waiting.
    init(endpoint: String, backoff: RedisBackoff, now: ContinuousClock.Instant) {
        self.endpoint = endpoint
        self.backoff = backoff
        self.phase = .down(retryAt: now)
    }

    func onCommand(now: ContinuousClock.Instant) -> CommandDecision {
        switch phase {
        case .connected:
            return .send
        case .down(let retryAt):
            if now >= retryAt { return .connectFirst }
            let cause = lastError.map { "; last error: \($0.detail)" } ?? ""
            let retryIn = retryAt - now
            return .fail(RedisError(
                .connectionLost, endpoint: endpoint,
                detail: "not connected, next attempt in \(Self.milliseconds(retryIn)) ms\(cause)"
            ))
        case .unavailable:
            return .fail(.hiredisMissing(endpoint: endpoint))
        case .closed:
            return .fail(RedisError(.connectionLost, endpoint: endpoint, detail: "the connection was closed"))
        }
    }

    func onIdle(now: ContinuousClock.Instant) -> IdleDecision {
        guard case .down(let retryAt) = phase else { return .waitForWork }
        return now >= retryAt ? .connect : .waitUntil(retryAt)
    }

    /// What a command that had to connect first throws when that connect failed: transient
    /// failures become `.connectionLost` (retry later); configuration problems keep their code.
    func commandError(afterConnectFailure error: RedisError) -> RedisError {
        switch error.code {
        case .connectFailed, .timeout, .connectionLost, .protocolError:
            return RedisError(.connectionLost, endpoint: endpoint, detail: "not connected: \(error.detail)")
        case .hiredisMissing, .authFailed, .serverError, .invalidURL:
            return error
        }
    }

    mutating func connectSucceeded() {
        guard phase != .closed else { return }
        if everConnected { reconnectCount += 1 }
        everConnected = true
        consecutiveFailures = 0
        backoff.reset()
        phase = .connected
    }

    mutating func connectFailed(_ error: RedisError, now: ContinuousClock.Instant, rng: inout some RandomNumberGenerator) {
        guard phase != .closed else { return }
        lastError = error
        consecutiveFailures += 1
        if error.code == .hiredisMissing {
            phase = .unavailable
        } else {
            phase = .down(retryAt: now + backoff.next(using: &rng))
        }
    }

    /// The first retry after a loss is immediate: most losses are a restart or an idle kill, and
    /// a dead server turns the next attempt into a connect failure that starts the backoff.
    mutating func connectionLost(_ error: RedisError, now: ContinuousClock.Instant) {
        guard phase != .closed, phase != .unavailable else { return }
        lastError = error
        phase = .down(retryAt: now)
    }

    mutating func close() { phase = .closed }

    var status: RedisConnectionStatus {
        let state: RedisConnectionStatus.State
        switch phase {
        case .connected: state = .connected
        case .down: state = everConnected ? .reconnecting : .connecting
        case .unavailable: state = .unavailable
        case .closed: state = .closed
        }
        return RedisConnectionStatus(
            state: state, lastError: lastError, reconnectCount: reconnectCount,
            consecutiveFailures: consecutiveFailures
        )
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        RedisBackoff.nanoseconds(duration) / 1_000_000
    }
}
