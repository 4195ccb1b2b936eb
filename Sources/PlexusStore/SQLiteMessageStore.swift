import Logging
import PlexusCore
import SQLiteNIO
import Synchronization

/// The node's message log in one SQLite file: the default `MessageStore`.
///
/// **Durability.** `append` returns only after the transaction holding its records has committed
/// (WAL, `synchronous=FULL` by default), so a caller may acknowledge a message to its source as
/// soon as `append` returns: an acknowledged message is never lost.
///
/// **Group commit.** A commit costs one fsync, which is far slower than writing rows. So appends
/// do not each run a transaction: they queue, and one writer task takes everything queued (up to
/// `maxBatchRows`), writes it in one transaction with a handful of multi-row statements, commits
/// once, then resumes every caller in that batch. Under load, hundreds of callers share each fsync;
/// when idle, a lone append commits at once. Each `append` call lands in exactly one transaction,
/// its records in order.
///
/// **Reads** use their own connections; WAL lets them run beside the writer, so a query never
/// waits for a commit.
///
/// Call `close()` before dropping the store: it drains queued appends and closes the file.
public final class SQLiteMessageStore: MessageStore {
    /// The log file.
    public let path: String
    let options: SQLiteStoreOptions
    let logger: Logger
    /// Used only by the writer task (and by `close` once that task has finished).
    let writer: SQLiteConnection
    /// Every commit goes through this one; `writer` only migrates the schema at open.
    let batchWriter: SQLiteBatchWriter
    let readers: [SQLiteConnection]
    /// Runs background WAL checkpoints; nil when `backgroundCheckpoints` is off.
    let checkpointer: SQLiteConnection?
    private let nextReader = Atomic<Int>(0)
    let state: Mutex<State>
    /// Written by the writer task after each commit, read by `writerStatistics`.
    let statistics = Mutex(LogWriterStatistics())

    /// Totals of the group commits so far (`GET /healthz`, benchmarks).
    public var writerStatistics: LogWriterStatistics { statistics.withLock { $0 } }

    /// Appending callers → the writer task.
    let queue: GroupCommitQueue<Void>

    /// What the writer task, reads and `close` share, guarded by `state`.
    struct State {
        var closed = false
        var writerTask: Task<Void, Never>?
        var activeReads = 0
        var readsDrained: CheckedContinuation<Void, Never>?
        var shutdown: Task<Void, Never>?
        /// The background checkpoint in progress, if any.
        var checkpointTask: Task<Void, Never>?
    }

    /// Opens (creating if needed) the log at `path`, applies pending schema migrations, and starts
    /// the group-commit writer.
    public static func open(
        path: String,
        options: SQLiteStoreOptions = SQLiteStoreOptions(),
        logger: Logger = Logger(label: "plexus.store")
    ) async throws -> SQLiteMessageStore {
        try options.validate()
        let writer = try await SQLiteSchema.openConnection(path: path, role: .writer, options: options, logger: logger)
        var readers: [SQLiteConnection] = []
        var checkpointer: SQLiteConnection?
        do {
            let version = try await SQLiteSchema.migrate(writer, path: path, logger: logger)
            let maxSeq: Int64
            do {
                maxSeq = try await SQLiteSchema.maxSeq(writer)
            } catch {
                throw StoreError(sqlite: error, while: "reading the last seq of \(path)")
            }
            for _ in 0..<options.readConnections {
                readers.append(try await SQLiteSchema.openConnection(path: path, role: .reader, options: options, logger: logger))
            }
            if options.backgroundCheckpoints {
                checkpointer = try await SQLiteSchema.openConnection(path: path, role: .checkpointer, options: options, logger: logger)
            }
            let batchWriter = try SQLiteBatchWriter(
                path: path, pragmas: SQLiteSchema.pragmas(for: .writer, options: options),
                autocheckpointFrames: SQLiteSchema.writerAutocheckpointPages(options))
            let store = SQLiteMessageStore(
                path: path, options: options, logger: logger, writer: writer, batchWriter: batchWriter,
                readers: readers, checkpointer: checkpointer
            )
            store.startWriter(nextSeq: maxSeq + 1)
            logger.info("message log open", metadata: [
                "plexus.store.path": .string(path),
                "plexus.store.schema_version": .stringConvertible(version),
                "plexus.store.last_seq": .stringConvertible(maxSeq),
                "plexus.store.synchronous": .string(options.synchronous.rawValue),
            ])
            return store
        } catch {
            for reader in readers { try? await reader.close() }
            try? await checkpointer?.close()
            try? await writer.close()
            throw error
        }
    }

    private init(
        path: String, options: SQLiteStoreOptions, logger: Logger,
        writer: SQLiteConnection, batchWriter: SQLiteBatchWriter, readers: [SQLiteConnection], checkpointer: SQLiteConnection?
    ) {
        self.path = path
        self.options = options
        self.logger = logger
        self.writer = writer
        self.batchWriter = batchWriter
        self.readers = readers
        self.checkpointer = checkpointer
        self.state = Mutex(State())
        self.queue = GroupCommitQueue { [path] in StoreError(.closed, "the message log at \(path) is closed") }
    }

    private func startWriter(nextSeq: Int64) {
        let task = Task(executorPreference: SQLiteWriterThread.executor()) { await self.runWriter(nextSeq: nextSeq) }
        state.withLock { $0.writerTask = task }
    }

    // MARK: Appending

    /// Queues the records for the next group commit and returns once they are durably committed.
    ///
    /// Cancelling the calling task does not withdraw the records: once queued they are committed,
    /// and the call still waits for that, so its outcome is never unknown.
    public func append(_ records: [LogRecord]) async throws -> [AppendOutcome] {
        try await queue.append(records)
    }

    // MARK: Reading

    public func message(id: MessageID) async throws -> StoredMessage? {
        try await withReader(doing: "reading message \(id)") { connection in
            let rows = try await connection.query(
                "SELECT \(Self.storedColumns) FROM messages WHERE message_uuid = ?",
                [SQLiteMessageSQL.uuidData(id)]
            )
            return try rows.first.map { try Self.storedMessage(from: $0) }
        }
    }

    public func count() async throws -> Int {
        try await withReader(doing: "counting messages") { connection in
            let row = try await connection.query("SELECT COUNT(*) AS n FROM messages").first
            return row?.column("n")?.integer ?? 0
        }
    }

    /// Runs `body` on a read connection (round robin), counted so that `close` can wait for it.
    func withReader<T>(doing: String, _ body: (SQLiteConnection) async throws -> T) async throws -> T {
        let admitted = state.withLock { state in
            guard !state.closed else { return false }
            state.activeReads += 1
            return true
        }
        guard admitted else { throw StoreError(.closed, "the message log at \(path) is closed") }
        defer {
            let drained = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.activeReads -= 1
                guard state.activeReads == 0 else { return nil }
                defer { state.readsDrained = nil }
                return state.readsDrained
            }
            drained?.resume()
        }
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        let connection = readers[Int(UInt(bitPattern: index) % UInt(readers.count))]
        do {
            return try await body(connection)
        } catch {
            throw StoreError(sqlite: error, while: doing)
        }
    }

    // MARK: Closing

    /// Refuses new appends and reads, commits everything already queued, waits for running reads,
    /// then closes the file. Safe to call more than once; every call waits for the same shutdown.
    public func close() async throws {
        let task = state.withLock { state -> Task<Void, Never> in
            if let shutdown = state.shutdown { return shutdown }
            state.closed = true
            let shutdown = Task { await self.shutDown() }
            state.shutdown = shutdown
            return shutdown
        }
        queue.close()
        await task.value
    }

    private func shutDown() async {
        // The writer sees `closed`, drains the queue, and ends; only it starts checkpoints.
        await state.withLock { $0.writerTask }?.value
        await state.withLock { $0.checkpointTask }?.value
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let drained = state.withLock { state in
                if state.activeReads == 0 { return true }
                state.readsDrained = continuation
                return false
            }
            if drained { continuation.resume() }
        }
        for reader in readers { try? await reader.close() }
        try? await checkpointer?.close()
        batchWriter.close()
        // Closing the last connection checkpoints the WAL into the file and removes it.
        try? await writer.close()
        logger.info("message log closed", metadata: ["plexus.store.path": .string(path)])
    }
}
