import Logging
import PlexusCore
import PlexusStore

/// Sections 1 and 2: the log below HTTP. First SQLite itself (the same statements, one
/// transaction per batch, nothing else), then `SQLiteMessageStore` with many concurrent callers —
/// its group commit, which is what HTTP and WebSocket ingest sit on.
struct StoreBench: Sendable {
    let plan: BenchPlan
    let factory: MessageFactory

    static let rawSection = "1. Raw SQLite limit (SQLiteRawInsertBenchmark, fresh file)"
    static let storeSection = "2. Store alone (SQLiteMessageStore.append, concurrent callers, no HTTP)"

    func runRaw() async throws -> [BenchFigure] {
        let rows = try factory.records(rows: plan.rawRows, batchSize: plan.batchSize)
        var figures: [BenchFigure] = []
        for synchronous in [SQLiteStoreOptions.Synchronous.full, .normal] {
            for batch in [100, 1_000] {
                let rate = try await raw(rows, batchSize: batch, synchronous: synchronous)
                figures.append(BenchFigure(
                    Self.rawSection, "batch \(batch), synchronous=\(synchronous.rawValue)", rate, "rows/s",
                    note: "\(rows.count) rows (the HTTP ingest's message shape), one transaction per batch"
                ))
            }
        }
        return figures
    }

    func runStoreAlone() async throws -> [BenchFigure] {
        let rows = try factory.records(rows: plan.storeRows, batchSize: plan.batchSize)
        var figures: [BenchFigure] = []
        for synchronous in [SQLiteStoreOptions.Synchronous.full, .normal] {
            let (rate, note) = try await storeAlone(rows, tasks: plan.storeTasks, batchSize: plan.batchSize, synchronous: synchronous)
            let label = synchronous == .full ? "FULL (default)" : synchronous.rawValue
            figures.append(BenchFigure(Self.storeSection, "\(plan.storeTasks) tasks × batches of \(plan.batchSize), \(label)", rate, "rows/s", note: note))
        }
        // The store's ceiling for single-message ingest: as many one-row appends in flight as
        // section 4 has connections.
        let single = Array(rows.prefix(plan.storeSingleRows))
        let (rate, note) = try await storeAlone(single, tasks: plan.singleConnections, batchSize: 1, synchronous: .full)
        figures.append(BenchFigure(Self.storeSection, "\(plan.singleConnections) tasks × 1 row, FULL (default)", rate, "rows/s", note: note))
        return figures
    }

    func raw(_ rows: [LogRecord], batchSize: Int, synchronous: SQLiteStoreOptions.Synchronous) async throws -> Double {
        let dir = try TempDirectory("raw")
        defer { dir.remove() }
        var options = SQLiteStoreOptions()
        options.synchronous = synchronous
        var logger = Logger(label: "plexus.bench.raw")
        logger.logLevel = .warning
        let (frozenOptions, frozenLogger) = (options, logger)
        return try await TimeLimit.run(.seconds(300), "raw SQLite insert (batch \(batchSize))") {
            try await SQLiteRawInsertBenchmark.run(path: dir.file("log.sqlite"), rows: rows, batchSize: batchSize, options: frozenOptions, logger: frozenLogger)
        }
    }

    /// `tasks` tasks each append their share of `rows` in batches of `batchSize`, awaiting
    /// each append (as a request handler does), all at once: the store sees up to `tasks`
    /// queued appends and commits them together.
    func storeAlone(_ rows: [LogRecord], tasks: Int, batchSize: Int, synchronous: SQLiteStoreOptions.Synchronous) async throws -> (Double, String) {
        let dir = try TempDirectory("store")
        defer { dir.remove() }
        var options = SQLiteStoreOptions()
        options.synchronous = synchronous
        var logger = Logger(label: "plexus.bench.store")
        logger.logLevel = .warning
        let store = try await SQLiteMessageStore.open(path: dir.file("log.sqlite"), options: options, logger: logger)
        return try await Self.appendConcurrently(rows, into: store, tasks: tasks, batchSize: batchSize)
    }

    /// `tasks` callers append `rows` in batches of `batchSize` at once, then the store is closed.
    /// Returns rows/s and a note; shared by the SQLite and PostgreSQL benchmarks.
    static func appendConcurrently(_ rows: [LogRecord], into store: any MessageStore, tasks: Int, batchSize: Int) async throws -> (Double, String) {
        let batches = stride(from: 0, to: rows.count, by: batchSize).map { Array(rows[$0..<min($0 + batchSize, rows.count)]) }
        let cpu = CPUUsage.now()
        let watch = Stopwatch()
        let stored = try await TimeLimit.run(.seconds(300), "store-alone appends") {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        var stored = 0
                        for index in stride(from: t, to: batches.count, by: tasks) {
                            let outcomes = try await store.append(batches[index])
                            stored += outcomes.filter { $0 != .duplicate }.count
                        }
                        return stored
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        let wall = watch.seconds
        let cpuNote = CPUUsage.note(since: cpu, wall: wall)
        let count = try await store.count()
        try await store.close()
        guard stored == rows.count, count == rows.count else {
            throw BenchError("store-alone stored \(stored) rows, count() says \(count); expected \(rows.count)")
        }
        return (Double(rows.count) / wall, "\(rows.count) rows, \(batches.count) appends; \(cpuNote)")
    }
}
