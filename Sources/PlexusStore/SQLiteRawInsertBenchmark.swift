import Logging
import PlexusCore
import SQLiteNIO

/// The "raw SQLite" ceiling for the store benchmark: the same file settings, schema, prepared
/// `INSERT INTO messages` statement and transaction shape as `SQLiteMessageStore`, one transaction per batch, but none
/// of the store's machinery (queue, writer task, uuid dedupe, subject index). The store's rows per
/// second divided by this figure is the store's overhead over SQLite itself.
public enum SQLiteRawInsertBenchmark {
    /// Inserts `rows` into a log at `path` in transactions of `batchSize` rows; returns rows per
    /// second. Use a fresh path: the rows' uuids must not already be in the file.
    public static func run(
        path: String,
        rows: [LogRecord],
        batchSize: Int,
        options: SQLiteStoreOptions = SQLiteStoreOptions(),
        logger: Logger = Logger(label: "plexus.store.bench")
    ) async throws -> Double {
        precondition(batchSize >= 1, "batchSize must be at least 1")
        try options.validate()
        let connection = try await SQLiteSchema.openConnection(path: path, role: .writer, options: options, logger: logger)
        do {
            try await SQLiteSchema.migrate(connection, path: path, logger: logger)
            var seq = try await SQLiteSchema.maxSeq(connection) + 1
            // Seqs are assigned before timing, as the store does under its lock-free writer task.
            var numbered: [SQLiteMessageSQL.NewRow] = []
            numbered.reserveCapacity(rows.count)
            for record in rows {
                numbered.append(SQLiteMessageSQL.NewRow(seq: seq, record: record))
                seq += 1
            }
            let writer = try SQLiteBatchWriter(
                path: path, pragmas: SQLiteSchema.pragmas(for: .writer, options: options),
                autocheckpointFrames: SQLiteSchema.writerAutocheckpointPages(options))
            defer { writer.close() }
            let clock = ContinuousClock()
            let start = clock.now
            var index = 0
            while index < numbered.count {
                let end = min(index + batchSize, numbered.count)
                try await writer.insertRaw(numbered[index..<end])
                index = end
            }
            let elapsed = clock.now - start
            try await connection.close()
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return seconds > 0 ? Double(rows.count) / seconds : .infinity
        } catch {
            try? await connection.close()
            throw StoreError(sqlite: error, while: "raw insert benchmark on \(path)")
        }
    }
}
