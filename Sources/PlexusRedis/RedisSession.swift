import Logging

/// The thread-confined half of a ``RedisConnection``: the hiredis context, the link state and the
/// random source. Only the connection's own thread calls it, so it needs no lock.
final class RedisSession {
    let configuration: RedisConfiguration
    private let logger: Logger
    private var rng: any RandomNumberGenerator
    private(set) var link: RedisLinkState
    private var context: HiredisContext?

    init(configuration: RedisConfiguration, logger: Logger, rng: any RandomNumberGenerator) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "plexus.redis.endpoint"] = "\(configuration.endpoint)"
        self.logger = logger
        self.rng = rng
        let backoff = RedisBackoff(
            minimum: configuration.reconnectBackoffMinimum, maximum: configuration.reconnectBackoffMaximum
        )
        self.link = RedisLinkState(endpoint: configuration.endpoint, backoff: backoff, now: .now)
    }

    func run(_ work: RedisJob.Work) -> Result<[RedisReply], RedisError> {
        switch work {
        case .connect:
            switch link.phase {
            case .connected:
                return .success([])
            case .unavailable, .closed:
                if case .fail(let error) = link.onCommand(now: .now) { return .failure(error) }
                return .failure(.hiredisMissing(endpoint: configuration.endpoint))
            case .down:
                // An explicit connect ignores the backoff wait: someone is waiting for the answer.
                if let error = attemptConnect() { return .failure(error) }
                return .success([])
            }
        case .commands(let commands, let extraTimeout):
            return send(commands, extraTimeout: extraTimeout)
        }
    }

    func idleDecision() -> RedisLinkState.IdleDecision { link.onIdle(now: .now) }

    /// Called when idle and an attempt is due: reconnects without waiting for a command.
    func connectInBackground() {
        _ = attemptConnect()
    }

    func close() {
        context = nil
        link.close()
    }

    private func send(_ commands: [[RedisArgument]], extraTimeout: Duration) -> Result<[RedisReply], RedisError> {
        switch link.onCommand(now: .now) {
        case .send:
            break
        case .connectFirst:
            if let error = attemptConnect() { return .failure(link.commandError(afterConnectFailure: error)) }
        case .fail(let error):
            return .failure(error)
        }
        guard let context else {
            return .failure(RedisError(.connectionLost, endpoint: configuration.endpoint, detail: "not connected"))
        }
        do {
            try context.setTimeout(configuration.commandTimeout + extraTimeout)
            if commands.count == 1 {
                return .success([try context.command(commands[0])])
            }
            return .success(try context.pipeline(commands))
        } catch {
            // Whatever hiredis failed on (I/O, timeout, protocol), the context is unusable now.
            self.context = nil
            link.connectionLost(error, now: .now)
            logger.warning("redis connection lost", metadata: ["plexus.redis.error": "\(error.detail)"])
            return .failure(error)
        }
    }

    /// Connects, authenticates and selects the database; returns the error instead of throwing so
    /// the link state is updated on every path.
    private func attemptConnect() -> RedisError? {
        context = nil
        do {
            let candidate = try HiredisContext.connect(
                host: configuration.host, port: configuration.port,
                timeout: configuration.connectTimeout, endpoint: configuration.endpoint
            )
            try candidate.setTimeout(configuration.connectTimeout)
            try handshake(candidate)
            context = candidate
            let reconnected = link.status.state == .reconnecting
            link.connectSucceeded()
            if reconnected {
                logger.info("redis reconnected", metadata: ["plexus.redis.reconnects": "\(link.reconnectCount)"])
            } else {
                logger.info("redis connected")
            }
            return nil
        } catch {
            link.connectFailed(error, now: .now, rng: &rng)
            // The first failure is news; the rest of a long outage is not worth a warning each.
            let level: Logger.Level = link.consecutiveFailures == 1 ? .warning : .debug
            logger.log(level: level, "redis connect failed", metadata: [
                "plexus.redis.error": "\(error.detail)",
                "plexus.redis.failures": "\(link.consecutiveFailures)",
            ])
            return error
        }
    }

    /// AUTH and SELECT on every connect, since a new server process remembers neither. Without
    /// SELECT, a PING proves the server accepts commands from us (NOAUTH otherwise).
    private func handshake(_ context: HiredisContext) throws(RedisError) {
        let endpoint = configuration.endpoint
        if let password = configuration.password {
            var auth: [RedisArgument] = ["AUTH"]
            if let username = configuration.username { auth.append(RedisArgument(username)) }
            auth.append(RedisArgument(password))
            if case .error(let message) = try context.command(auth) {
                let who = configuration.username.map { "user '\($0)'" } ?? "the configured password"
                throw RedisError(.authFailed, endpoint: endpoint, detail: "AUTH with \(who) was rejected: \(message)")
            }
        }
        let probe: [RedisArgument] = configuration.database == 0 ? ["PING"] : ["SELECT", RedisArgument(configuration.database)]
        if case .error(let message) = try context.command(probe) {
            if message.hasPrefix("NOAUTH") {
                throw RedisError(
                    .authFailed, endpoint: endpoint,
                    detail: "the server requires a password (\(message)); give it as redis://:password@host"
                )
            }
            let what = configuration.database == 0 ? "PING" : "SELECT \(configuration.database)"
            throw RedisError(.serverError(message), endpoint: endpoint, detail: "\(what) failed: \(message)")
        }
    }
}
