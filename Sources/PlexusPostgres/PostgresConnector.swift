import Logging
import NIOCore
import PlexusCore
import PlexusStore
import PostgresNIO
import Synchronization

/// Opening connections to the configured database, and the writer's link: a connection that
/// has migrated the schema, holds the schema's writer lock and knows the next seq.
struct PostgresConnector: Sendable {
    let configuration: PostgresStoreConfiguration
    let connection: PostgresConnection.Configuration
    let logger: Logger
    /// Connection ids for postgres-nio's log metadata.
    private static let ids = Atomic<Int>(0)

    init(configuration: PostgresStoreConfiguration, logger: Logger) throws {
        self.configuration = configuration
        do { connection = try configuration.connectionConfiguration() } catch {
            throw StoreError(.ioFailure, error.description)
        }
        self.logger = logger
    }

    /// A plain connection with the schema as its search path (on `eventLoop`, or one of
    /// postgres-nio's).
    func connect(on eventLoop: (any EventLoop)? = nil) async throws -> PostgresConnection {
        let id = Self.ids.wrappingAdd(1, ordering: .relaxed).oldValue
        let connection = try await PostgresConnection.connect(
            on: eventLoop ?? PostgresConnection.defaultEventLoopGroup.any(), configuration: connection, id: id, logger: logger)
        do {
            try await PostgresSchema.useSchema(connection, configuration.schema)
            return connection
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The writer's connections, ready to commit. Two, so that one batch's COMMIT runs while
    /// the next batch is written; `connection` is the one the next batch is written on (and
    /// the one every serial step uses), `other` the one whose COMMIT may be under way.
    struct Link: Sendable {
        var connection: PostgresConnection
        var other: PostgresConnection
        var layout: PostgresSchema.Layout
        var nextSeq: Int64

        /// After a batch's COMMIT was started on `connection`: the next batch goes to the other.
        mutating func alternate() { swap(&connection, &other) }

        func close() async {
            try? await connection.close()
            try? await other.close()
        }

        /// A graceful close: the schema locks are released before the connections go, so a
        /// store reopened at once finds them free. (Closing alone is not enough: the server
        /// releases a session's locks when its backend has ended, which can be after the
        /// client saw the socket close.) The unlock gets a second: an idle link whose server
        /// went away without a word would otherwise hold shutdown until TCP gives up; closing
        /// the connection ends the query then.
        func release() async {
            for connection in [connection, other] {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try? await connection.query("SELECT pg_advisory_unlock_all()", logger: connection.logger) }
                    group.addTask { try? await Task.sleep(for: .seconds(1)) }
                    await group.next()
                    try? await connection.close()
                    group.cancelAll()
                }
            }
        }
    }

    /// - Parameter lockWait: how long to wait for a schema lock someone else holds: at open
    ///   (`lockWait`), where the holder may be this node's previous session still ending;
    ///   zero when reconnecting after an outage, where waiting would only hold up the appends
    ///   that go to the spool meanwhile.
    func link(now: Timestamp, lockWait: Duration = .zero) async throws -> Link {
        let connection = try await connect(on: PostgresWriterThread.eventLoop)
        do {
            let (layout, _) = try await PostgresSchema.migrate(connection, configuration: configuration, logger: logger)
            guard try await tryLock(connection, key: ".writer", wait: lockWait) else {
                throw lockRefused
            }
            let maxSeq = try await PostgresSchema.maxSeq(connection, logger: logger)
            try await maintain(connection, layout: layout, now: now)
            // The second connection writes under the first one's schema lock: the writer
            // closes both when either fails.
            let other = try await connect(on: PostgresWriterThread.eventLoop)
            do {
                // The second connection holds a lock of its own: should the first one die while
                // idle (its lock released), another process still cannot take the schema while
                // this one may commit a last batch.
                guard try await tryLock(other, key: ".writer.2", wait: lockWait) else {
                    throw lockRefused
                }
            } catch {
                try? await other.close()
                throw error
            }
            return Link(connection: connection, other: other, layout: layout, nextSeq: maxSeq + 1)
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The schema's writer lock is someone else's.
    private var lockRefused: StoreError {
        StoreError(.ioFailure, "another process writes the Plexus log in schema \(configuration.schema) of \(configuration.redactedURL); give each node a schema of its own")
    }

    /// How long opening a store waits for a schema lock held by someone else before it
    /// refuses: the holder may be this node's own previous session whose backend is still
    /// ending (a restart right after a close or a crash).
    static let lockWait: Duration = .seconds(3)

    /// A session-level advisory lock on the schema name plus `key`, tried every 100 ms for
    /// `wait`.
    private func tryLock(_ connection: PostgresConnection, key: String, wait: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + wait
        while true {
            var locked = false
            for try await (granted) in try await connection.query(
                "SELECT pg_try_advisory_lock(hashtext(\(configuration.schema + key)))", logger: logger
            ).decode(Bool.self) { locked = granted }
            if locked { return true }
            if ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Day partitions ahead, and the retention: run at link time and hourly by the writer.
    func maintain(_ connection: PostgresConnection, layout: PostgresSchema.Layout, now: Timestamp) async throws {
        switch layout {
        case .native:
            try await PostgresPartitions.ensure(connection, now: now, ahead: configuration.partitionsAhead, logger: logger)
        case .timescale:
            if let days = configuration.retentionDays {
                for table in PostgresPartitions.tables {
                    try await connection.query(PostgresQuery(unsafeSQL: "SELECT add_retention_policy('\(table)', INTERVAL '\(days) days', if_not_exists => true)"), logger: logger)
                }
            }
        }
        if let days = configuration.retentionDays {
            let cutoff = Timestamp(microseconds: now.microseconds - Int64(days) * PostgresPartitions.microsPerDay)
            let dropped = try await PostgresPartitions.applyRetention(connection, cutoff: cutoff, native: layout == .native, logger: logger)
            if !dropped.isEmpty {
                logger.info("retention dropped day partitions", metadata: ["plexus.store.partitions": .string(dropped.joined(separator: ", "))])
            }
        }
    }
}

/// Read connections, opened on first use and dropped when the server goes away, so reads
/// recover by themselves after an outage.
final class PostgresReaders: Sendable {
    private let connector: PostgresConnector
    private let slots: Mutex<[Task<PostgresConnection, any Error>?]>
    private let next = Atomic<Int>(0)

    init(connector: PostgresConnector, count: Int) {
        self.connector = connector
        self.slots = Mutex(Array(repeating: nil, count: count))
    }

    /// Runs `body` on a read connection. A connection the server dropped since its last use
    /// (an outage, a restart) is replaced and the read tried once more, so the first read after
    /// the database returns does not fail.
    func with<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue % slots.withLock { $0.count }
        var attempt = 0
        while true {
            attempt += 1
            let task = slots.withLock { slots in
                if let task = slots[index] { return task }
                let connector = connector
                let task = Task { try await connector.connect() }
                slots[index] = task
                return task
            }
            do {
                let connection = try await task.value
                // See `PostgresBatchWriter.query`: a query on a closed connection would never return.
                try PostgresConnectionLost.check(connection)
                return try await body(connection)
            } catch {
                guard PostgresErrors.kind(of: error) == .unreachable else { throw error }
                slots.withLock { if $0[index] == task { $0[index] = nil } }
                if let connection = try? await task.value { try? await connection.close() }
                if attempt >= 2 { throw error }
            }
        }
    }

    func close() async {
        let tasks = slots.withLock { slots in
            defer { slots = Array(repeating: nil, count: slots.count) }
            return slots.compactMap { $0 }
        }
        for task in tasks {
            if let connection = try? await task.value { try? await connection.close() }
        }
    }
}
