import Foundation
import Logging
import PlexusCore
import PlexusStore
import PostgresNIO
import Synchronization

/// The node's message log in PostgreSQL (or TimescaleDB): a `MessageStore`.
///
/// **Group commit with COPY.** Appends queue; one writer task takes everything queued (up to
/// `maxBatchRows`), writes it in one transaction with COPY (`PostgresBatchWriter`), commits, and
/// only then resumes the callers: acknowledge after commit, as with SQLite.
///
/// **Outage.** When the server cannot be reached the writer spools appends to a local SQLite
/// journal (`spoolPath`) and acknowledges them once that commit is durable, so ingest goes on.
/// It reconnects every `reconnectInterval`; once back, it drains the journal into PostgreSQL in
/// journal order, chunk by chunk between new batches, then empties it. Drained rows are
/// de-duplicated by `message_uuid` like any other, so a crash mid-drain repeats nothing. While
/// the journal holds more than `spoolLimit` messages, appends fail with `StoreError.Code.full`
/// (503 with Retry-After). `health` tells the node's /healthz.
///
/// **Refused values.** A record PostgreSQL cannot hold (U+0000) is dead-lettered with the
/// reason and comes back `.refused`; the rest of its batch commits.
public final class PostgresMessageStore: MessageStore {
    public let configuration: PostgresStoreConfiguration
    let logger: Logger
    let connector: PostgresConnector
    let readers: PostgresReaders
    let state: Mutex<State>
    /// Wall clock for partition maintenance and retention (an input, so tests can move it).
    let now: @Sendable () -> Timestamp

    /// Appending callers → the writer task, each append with its rows already COPY-encoded.
    typealias Queue = GroupCommitQueue<[PostgresCopyRows.Prepared]>
    let queue: Queue

    struct State {
        var closed = false
        var writerTask: Task<Void, Never>?
        var shutdown: Task<Void, Never>?
        var health = PostgresStoreHealth()
        /// The local journal; replaced by an empty one after each full drain.
        var spool: SQLiteMessageStore?
    }

    /// Connects, migrates the schema (`plexus store migrate` does only this), takes the schema's
    /// writer lock and starts the writer. With a spool configured, an unreachable server does not
    /// stop the open: the store starts degraded and connects when it can.
    public static func open(
        configuration: PostgresStoreConfiguration,
        logger: Logger = Logger(label: "plexus.store.postgres"),
        now: @escaping @Sendable () -> Timestamp = { WallClock.now() }
    ) async throws -> PostgresMessageStore {
        do { try configuration.validate() } catch { throw StoreError(.ioFailure, "postgres store: \(error.description)") }
        let connector = try PostgresConnector(configuration: configuration, logger: logger)
        let spool: SQLiteMessageStore? = if let path = configuration.spoolPath {
            try await SQLiteMessageStore.open(path: path, logger: logger)
        } else { nil }
        var link: PostgresConnector.Link?
        var health = PostgresStoreHealth()
        health.spooled = try await spool?.count() ?? 0
        do {
            link = try await connector.link(now: now(), lockWait: PostgresConnector.lockWait)
        } catch where spool != nil && PostgresErrors.kind(of: error) == .unreachable {
            health.reachable = false
            health.lastError = PostgresErrors.describe(error)
            logger.warning("PostgreSQL is unreachable; logging to the local spool until it is back", metadata: [
                "plexus.store.url": .string(configuration.redactedURL), "plexus.error": .string(health.lastError ?? ""),
            ])
        } catch {
            try? await spool?.close()
            if let error = error as? StoreError { throw error }
            throw StoreError(.ioFailure, "opening the PostgreSQL log at \(configuration.redactedURL): \(PostgresErrors.describe(error))")
        }
        let store = PostgresMessageStore(configuration: configuration, logger: logger, connector: connector, spool: spool, health: health, now: now)
        let task = Task(executorPreference: PostgresWriterThread.executor) { await store.runWriter(link: link) }
        store.state.withLock { $0.writerTask = task }
        if let link {
            logger.info("PostgreSQL message log open", metadata: [
                "plexus.store.url": .string(configuration.redactedURL), "plexus.store.schema": .string(configuration.schema),
                "plexus.store.layout": .string(link.layout.rawValue), "plexus.store.last_seq": .stringConvertible(link.nextSeq - 1),
            ])
        }
        return store
    }

    /// Applies pending migrations and creates the day partitions ahead (and applies the
    /// retention), without starting a writer. Returns (layout, version).
    public static func migrate(
        configuration: PostgresStoreConfiguration, logger: Logger, now: @Sendable () -> Timestamp = { WallClock.now() }
    ) async throws -> (layout: String, version: Int) {
        do { try configuration.validate() } catch { throw StoreError(.ioFailure, "postgres store: \(error.description)") }
        let connector = try PostgresConnector(configuration: configuration, logger: logger)
        let connection = try await connector.connect()
        defer { Task { try? await connection.close() } }
        let (layout, version) = try await PostgresSchema.migrate(connection, configuration: configuration, logger: logger)
        try await connector.maintain(connection, layout: layout, now: now())
        return (layout.rawValue, version)
    }

    private init(
        configuration: PostgresStoreConfiguration, logger: Logger, connector: PostgresConnector,
        spool: SQLiteMessageStore?, health: PostgresStoreHealth, now: @escaping @Sendable () -> Timestamp
    ) {
        self.configuration = configuration
        self.logger = logger
        self.connector = connector
        self.readers = PostgresReaders(connector: connector, count: configuration.readConnections)
        var state = State()
        state.spool = spool
        state.health = health
        self.state = Mutex(state)
        self.now = now
        self.queue = GroupCommitQueue { StoreError(.closed, "the PostgreSQL log is closed") }
    }

    /// Whether PostgreSQL is reachable, and what the spool holds.
    public var health: PostgresStoreHealth { state.withLock { $0.health } }

    // MARK: Appending

    public func append(_ records: [LogRecord]) async throws -> [AppendOutcome] {
        try await queue.append(records, payload: records.map(PostgresCopyRows.Prepared.init))
    }

    public func release(_ ids: [MessageID]) {
        guard !ids.isEmpty else { return }
        queue.housekeep(lazy: true) { $0.releases.append(contentsOf: ids) }
        spool?.release(ids)
    }

    public func deadLetter(_ letters: [DeadLetter]) {
        guard !letters.isEmpty else { return }
        queue.housekeep { $0.deadLetters.append(contentsOf: letters) }
    }

    public func inboxAcknowledged(_ acks: [InboxAck]) {
        guard !acks.isEmpty else { return }
        queue.housekeep { $0.inboxAcks.append(contentsOf: acks) }
        spool?.inboxAcknowledged(acks)
    }

    var spool: SQLiteMessageStore? { state.withLock { $0.spool } }

    // MARK: Closing

    /// Refuses new appends, commits (or spools) everything queued, then closes connections.
    public func close() async throws {
        let task = state.withLock { state -> Task<Void, Never> in
            if let shutdown = state.shutdown { return shutdown }
            state.closed = true
            let writer = state.writerTask
            let shutdown = Task { [readers, logger] in
                await writer?.value
                await readers.close()
                logger.info("PostgreSQL message log closed")
            }
            state.shutdown = shutdown
            return shutdown
        }
        queue.close()
        await task.value
        try await spool?.close()
    }
}

/// The store's health for /healthz: degraded while PostgreSQL is unreachable or the spool holds
/// messages not yet drained.
public struct PostgresStoreHealth: Sendable, Hashable {
    public var reachable = true
    /// Messages in the local spool not yet copied to PostgreSQL.
    public var spooled = 0
    public var lastError: String?

    public var degraded: Bool { !reachable || spooled > 0 }
}
