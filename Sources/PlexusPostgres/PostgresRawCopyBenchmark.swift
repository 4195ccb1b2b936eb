import Logging
import NIOCore
import PlexusCore
import PlexusStore
import PostgresNIO

/// The benchmark's "raw COPY" limit: the rows the store would write, COPYed straight into the
/// same tables (a freshly migrated schema, same indexes), one transaction per batch, with no
/// group-commit queue, dedupe lookup or outbox. Encoding is done before the clock starts, so the
/// figure is PostgreSQL's own.
public enum PostgresRawCopyBenchmark {
    public enum Tables: Sendable {
        /// message_exchange, message_subjects and plexus_log: what the store writes per message.
        case all
        /// message_exchange alone (with its time and topic indexes).
        case messagesOnly
        /// The design the store did not take: no message_subjects, but a GIN index on
        /// destination_subject_ids and a btree on (source_subject_id, origin_ts, seq); plus
        /// plexus_log. For the side-table-or-GIN comparison the issue asks for.
        case ginInsteadOfSubjects
    }

    /// Returns rows per second.
    public static func run(
        configuration: PostgresStoreConfiguration, records: [LogRecord], batchSize: Int, tables: Tables, logger: Logger
    ) async throws -> Double {
        let connector = try PostgresConnector(configuration: configuration, logger: logger)
        let connection = try await connector.connect()
        do {
            let (layout, _) = try await PostgresSchema.migrate(connection, configuration: configuration, logger: logger)
            try await connector.maintain(connection, layout: layout, now: records.first?.envelope.originTS ?? Timestamp(microseconds: 0))
            if tables == .ginInsteadOfSubjects {
                for statement in [
                    "DROP TABLE message_subjects",
                    "CREATE INDEX message_exchange_by_recipients ON message_exchange USING GIN (destination_subject_ids)",
                    "CREATE INDEX message_exchange_by_sender ON message_exchange (source_subject_id, origin_ts, seq)",
                ] {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
            var batches: [[(String, [String], ByteBuffer)]] = []
            var seq: Int64 = 1
            for start in stride(from: 0, to: records.count, by: batchSize) {
                let rows = records[start..<min(start + batchSize, records.count)].map { record in
                    defer { seq += 1 }
                    return PostgresCopyRows.Row(seq: seq, prepared: PostgresCopyRows.Prepared(record))
                }
                var copies = [("message_exchange", PostgresCopyRows.messageColumns, PostgresCopyRows.messages(rows))]
                if tables == .all {
                    copies.append(("message_subjects", PostgresCopyRows.subjectColumns, PostgresCopyRows.subjects(rows)))
                }
                if tables != .messagesOnly {
                    copies.append(("plexus_log", PostgresCopyRows.logColumns, PostgresCopyRows.log(rows)))
                }
                batches.append(copies)
            }
            let start = ContinuousClock.now
            for copies in batches {
                try await connection.query("BEGIN", logger: logger)
                for (table, columns, data) in copies {
                    try await PostgresCopier(connection).copy(into: table, columns: columns, data: data, logger: logger)
                }
                try await connection.query("COMMIT", logger: logger)
            }
            let elapsed = ContinuousClock.now - start
            try await connection.close()
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return Double(records.count) / seconds
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

/// The subject query of the GIN design (`ginInsteadOfSubjects`), for timing beside the store's.
public final class PostgresGINQueryBenchmark: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public static func connect(configuration: PostgresStoreConfiguration, logger: Logger) async throws -> PostgresGINQueryBenchmark {
        let connector = try PostgresConnector(configuration: configuration, logger: logger)
        return PostgresGINQueryBenchmark(connection: try await connector.connect(), logger: logger)
    }

    private init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// The newest 100 messages sent by or to `subject`, as the API pages them; returns the count.
    public func subjectPage(_ subject: String) async throws -> Int {
        var count = 0
        for try await row in try await connection.query("""
            SELECT \(unescaped: PostgresMessageStore.storedColumns) FROM message_exchange m
            WHERE m.source_subject_id = \(subject) OR m.destination_subject_ids @> ARRAY[\(subject)]
            ORDER BY m.origin_ts DESC, m.seq DESC LIMIT 101
            """, logger: logger).decode(PostgresMessageStore.StoredRow.self) {
            _ = try PostgresMessageStore.storedMessage(row)
            count += 1
        }
        return count
    }

    public func close() async { try? await connection.close() }
}
