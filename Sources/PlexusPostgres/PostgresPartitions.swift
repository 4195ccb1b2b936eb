import Logging
import PlexusCore
import PostgresNIO

/// Native day partitions: created ahead of time, dropped by the retention setting.
///
/// `message_exchange` and `message_subjects` are split by `origin_ts` into `<table>_pYYYYMMDD`
/// partitions, one per UTC day, plus a default partition for rows outside every created day
/// (a sender's clock far off). Creating a day whose rows already sit in the default partition
/// moves them into the new partition in the same transaction, so PostgreSQL never refuses the
/// attach. With TimescaleDB none of this runs: the hypertable makes its chunks and the retention
/// is a TimescaleDB policy.
enum PostgresPartitions {
    static let tables = ["message_exchange", "message_subjects"]
    static let microsPerDay: Int64 = 86_400_000_000

    /// Days since 1970-01-01 (UTC), rounding down also before 1970.
    static func day(of ts: Timestamp) -> Int64 {
        let (quotient, remainder) = ts.microseconds.quotientAndRemainder(dividingBy: microsPerDay)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// The day partitions from yesterday through `ahead` days after `now`, created where missing.
    static func ensure(_ connection: PostgresConnection, now: Timestamp, ahead: Int, logger: Logger) async throws {
        let today = day(of: now)
        for day in (today - 1)...(today + Int64(ahead)) {
            for table in tables {
                try await create(connection, table: table, day: day, logger: logger)
            }
        }
    }

    static func partitionName(_ table: String, day: Int64) -> String {
        let stamp = Timestamp(microseconds: day * microsPerDay).rfc3339
        return table + "_p" + stamp.prefix(10).replacingOccurrences(of: "-", with: "")
    }

    private static func create(_ connection: PostgresConnection, table: String, day: Int64, logger: Logger) async throws {
        let name = partitionName(table, day: day)
        var exists = false
        for try await _ in try await connection.query("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = \(name) AND n.nspname = current_schema()", logger: logger) {
            exists = true
        }
        guard !exists else { return }
        let from = Timestamp(microseconds: day * microsPerDay).rfc3339
        let to = Timestamp(microseconds: (day + 1) * microsPerDay).rfc3339
        try await connection.query("BEGIN", logger: logger)
        do {
            for statement in [
                "CREATE TABLE \(name) (LIKE \(table) INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
                """
                WITH moved AS (DELETE FROM \(table)_default WHERE origin_ts >= '\(from)' AND origin_ts < '\(to)' RETURNING *)
                INSERT INTO \(name) SELECT * FROM moved
                """,
                "ALTER TABLE \(table) ATTACH PARTITION \(name) FOR VALUES FROM ('\(from)') TO ('\(to)')",
            ] {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query("COMMIT", logger: logger)
            logger.debug("created day partition", metadata: ["plexus.store.partition": .string(name)])
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Drops the day partitions entirely older than `cutoff` and deletes older rows from the
    /// default partitions and the log index (always keeping its highest seq, so a restarted
    /// node never hands out a seq a log follower already passed). Returns the partitions dropped.
    @discardableResult
    static func applyRetention(_ connection: PostgresConnection, cutoff: Timestamp, native: Bool, logger: Logger) async throws -> [String] {
        var dropped: [String] = []
        // Natively only whole days go, so the log index goes by the same day boundary: a message
        // still in a kept partition keeps its plexus_log row (dedupe and by-uuid reads need it).
        let cutoff = native ? Timestamp(microseconds: day(of: cutoff) * microsPerDay) : cutoff
        if native {
            let cutoffDay = day(of: cutoff)
            for table in tables {
                var names: [String] = []
                for try await (name) in try await connection.query("""
                    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                    JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
                    WHERE p.relname = \(table) AND n.nspname = current_schema() AND c.relkind = 'r'
                    """, logger: logger).decode(String.self) {
                    names.append(name)
                }
                for name in names where name < partitionName(table, day: cutoffDay) && name.hasPrefix(table + "_p") {
                    try await connection.query(PostgresQuery(unsafeSQL: "DROP TABLE \(name)"), logger: logger)
                    dropped.append(name)
                }
                try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(table)_default WHERE origin_ts < '\(cutoff.rfc3339)'"), logger: logger)
            }
        }
        try await connection.query(PostgresQuery(unsafeSQL: """
            DELETE FROM plexus_log l WHERE l.origin_ts < '\(cutoff.rfc3339)' AND l.seq < (SELECT MAX(seq) FROM plexus_log)
            AND NOT EXISTS (SELECT 1 FROM plexus_inbox i WHERE i.message_uuid = l.message_uuid)
            AND NOT EXISTS (SELECT 1 FROM plexus_outbox o WHERE o.message_uuid = l.message_uuid)
            """), logger: logger)
        return dropped
    }
}
