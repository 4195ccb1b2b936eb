/// How the SQLite log trades durability for speed, and how much it batches.
///
/// The defaults are the ones a node should run with: `synchronous = .full` keeps the promise that
/// an acknowledged message survives a power cut. Change them for benchmarks or throwaway nodes.
public struct SQLiteStoreOptions: Sendable, Hashable {
    /// SQLite's `PRAGMA synchronous` in WAL mode.
    public enum Synchronous: String, Sendable, Hashable, CaseIterable {
        /// fsync the WAL on every commit: a committed (and so acknowledged) message survives a power
        /// cut or kernel panic. The node's durability promise depends on this.
        case full = "FULL"
        /// fsync only at checkpoints: survives a process crash, but the last commits before a power
        /// cut may be lost (the file is never corrupted). Faster; breaks "acknowledged is never lost"
        /// for power failures, so use it only where that is acceptable.
        case normal = "NORMAL"
    }

    /// Durability of each commit. Default `.full`.
    public var synchronous: Synchronous
    /// Most rows one group-commit transaction takes from the queue. Whole `append` calls are never
    /// split, so a single larger call still commits alone in one transaction. Bigger batches share
    /// one fsync among more rows; smaller ones bound the latency of the callers queued behind.
    public var maxBatchRows: Int
    /// Read connections for `message(id:)`, `query` and `count`. WAL lets them read beside the
    /// writer, so reads never wait for a commit's fsync.
    public var readConnections: Int
    /// Page cache per connection, in KiB (`PRAGMA cache_size = -N`).
    public var cacheSizeKiB: Int
    /// How long a connection waits for a lock held by another process before failing
    /// (`PRAGMA busy_timeout`). Within one node the store never contends with itself.
    public var busyTimeout: Duration
    /// Copy the WAL back into the database file from a separate connection, beside the writer,
    /// instead of inside the writer's COMMIT every 1000 pages. The copy and its fsync then no
    /// longer stall the group commit that happens to cross the threshold, and on a multi-core
    /// machine they run in parallel with the next batch. Durability is unchanged: a commit is
    /// durable once the WAL is synced, whoever checkpoints later. Default on.
    public var backgroundCheckpoints: Bool
    /// Most rows one wildcard-topic query reads before it returns what it found with a cursor to
    /// go on from. A rare pattern over a large log would otherwise scan the whole table in one
    /// request and hold one of the few read connections for all of it.
    public var maxRowsScannedPerQuery: Int = 50_000

    public init(
        synchronous: Synchronous = .full,
        maxBatchRows: Int = 2_000,
        readConnections: Int = 2,
        cacheSizeKiB: Int = 16_384,
        busyTimeout: Duration = .seconds(5),
        backgroundCheckpoints: Bool = true
    ) {
        self.synchronous = synchronous
        self.maxBatchRows = maxBatchRows
        self.readConnections = readConnections
        self.cacheSizeKiB = cacheSizeKiB
        self.busyTimeout = busyTimeout
        self.backgroundCheckpoints = backgroundCheckpoints
    }

    /// A setting out of range, named by its key so the operator can fix the configuration.
    public struct InvalidOption: Error, Sendable, Hashable, CustomStringConvertible {
        public var key: String
        public var message: String

        public var description: String { "invalid store option \"\(key)\": \(message)" }
    }

    /// Checks every setting once, at open, naming the first bad key.
    public func validate() throws(InvalidOption) {
        if maxBatchRows < 1 {
            throw InvalidOption(key: "maxBatchRows", message: "must be at least 1, got \(maxBatchRows)")
        }
        if readConnections < 1 {
            throw InvalidOption(key: "readConnections", message: "must be at least 1, got \(readConnections)")
        }
        if cacheSizeKiB < 0 {
            throw InvalidOption(key: "cacheSizeKiB", message: "must not be negative, got \(cacheSizeKiB)")
        }
        if maxRowsScannedPerQuery < 1 {
            throw InvalidOption(key: "maxRowsScannedPerQuery", message: "must be at least 1, got \(maxRowsScannedPerQuery)")
        }
        if busyTimeout < .zero {
            throw InvalidOption(key: "busyTimeout", message: "must not be negative, got \(busyTimeout)")
        }
    }

    /// `busyTimeout` in whole milliseconds, as the PRAGMA wants it.
    var busyTimeoutMilliseconds: Int {
        let (seconds, attoseconds) = busyTimeout.components
        return Int(seconds) * 1_000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
