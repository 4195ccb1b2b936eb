import Logging
import Synchronization

/// One Redis connection: a hiredis context on its own thread, with automatic reconnect.
///
/// Commands run one at a time, in the order they were submitted, on the connection's dedicated
/// thread; callers just `await`. A blocking command (BLMOVE) holds that thread for its whole
/// block time, so a loop that blocks should have a connection of its own, separate from the one
/// that publishes.
///
/// When the connection breaks, the command in flight throws `.connectionLost` (or `.timeout`),
/// and the connection reconnects by itself, with exponential backoff and jitter, re-running AUTH
/// and SELECT. Commands submitted while it is down fail at once with `.connectionLost` (they
/// are not queued for later), so callers decide about retries; ``status`` tells them and the
/// health report what is going on.
///
/// Task cancellation does not interrupt a command: each is bounded by the command timeout
/// (plus the block time of a blocking command).
public final class RedisConnection: Sendable {
    public let configuration: RedisConfiguration
    private let worker: RedisWorker
    /// Set once the server has said it does not know BLMOVE (Redis < 6.2).
    private let blmoveUnsupported = Mutex(false)

    /// Starts the connection's thread, which connects at once and keeps trying in the background.
    /// Throws only for an invalid configuration; use ``connect()`` to wait for the link.
    ///
    /// - Parameter randomNumberGenerator: the source of reconnect jitter; pass a seeded one to
    ///   replay a schedule.
    public init(
        configuration: RedisConfiguration,
        logger: Logger = Logger(label: "plexus.redis"),
        randomNumberGenerator: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) throws(RedisError) {
        try configuration.validate()
        self.configuration = configuration
        let session = RedisSession(configuration: configuration, logger: logger, rng: randomNumberGenerator)
        self.worker = RedisWorker(session: session)
    }

    /// A connection that is up (connected, authenticated, database selected), or the reason it
    /// could not be: `.hiredisMissing`, `.connectFailed`, `.timeout`, `.authFailed`, `.serverError`.
    public static func connect(
        configuration: RedisConfiguration,
        logger: Logger = Logger(label: "plexus.redis"),
        randomNumberGenerator: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) async throws -> RedisConnection {
        let connection = try RedisConnection(
            configuration: configuration, logger: logger, randomNumberGenerator: randomNumberGenerator
        )
        do {
            try await connection.connect()
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    deinit { worker.requestStop() }

    /// Returns once the link is up; when it is down, tries at once (skipping any backoff wait)
    /// and throws why that failed.
    public func connect() async throws {
        _ = try await worker.submit(.connect)
    }

    public var status: RedisConnectionStatus { worker.status }

    /// Sends one command and returns its reply. An error reply is returned as `.error`, not
    /// thrown; failures of the connection throw ``RedisError``.
    public func command(_ arguments: [RedisArgument]) async throws -> RedisReply {
        try await blockingCommand(arguments, blockFor: .zero)
    }

    public func command(_ arguments: RedisArgument...) async throws -> RedisReply {
        try await command(arguments)
    }

    /// A command that may wait on the server for up to `blockFor` (BLPOP, BLMOVE, WAIT): the
    /// socket timeout becomes the command timeout plus `blockFor`.
    public func blockingCommand(_ arguments: [RedisArgument], blockFor: Duration) async throws -> RedisReply {
        precondition(!arguments.isEmpty, "a Redis command needs at least its name")
        let replies = try await worker.submit(.commands([arguments], extraTimeout: max(.zero, blockFor)))
        return replies[0]
    }

    /// Writes all commands, then reads all replies, in order: one round trip for the batch.
    /// Replies include per-command `.error`s. If the connection breaks midway, this throws and
    /// it is unknown which commands ran.
    public func pipeline(_ commands: [[RedisArgument]]) async throws -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        precondition(commands.allSatisfy { !$0.isEmpty }, "a Redis command needs at least its name")
        return try await worker.submit(.commands(commands, extraTimeout: .zero))
    }

    /// Lets the command in progress finish, fails queued ones with `.connectionLost`, closes the
    /// socket and stops the thread.
    public func close() async {
        await worker.close()
    }

    var prefersBRPOPLPUSH: Bool {
        get { blmoveUnsupported.withLock { $0 } }
        set { blmoveUnsupported.withLock { $0 = newValue } }
    }
}
