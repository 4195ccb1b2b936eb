import Logging
import PlexusCore
import PlexusStore
import PostgresNIO

/// The log's tables in PostgreSQL and their versioned migrations.
///
/// Tables (all in the configured schema; docs/postgres.md has the full picture):
/// - `message_exchange`: one row per logged message, the original system's columns plus
///   Plexus's own (`seq`, `node_role`, `hops`, `policy_decision`, and `envelope`, the wire JSON
///   served byte for byte: jsonb reorders keys and normalises numbers). Split by `origin_ts`:
///   a TimescaleDB hypertable, or native day partitions with a default partition for times
///   outside the created range.
/// - `message_subjects`: one row per (subject, message) for sender and recipients, partitioned
///   the same way. It answers "newest messages of subject X" as an ordered index range scan,
///   which a GIN index on `destination_subject_ids` cannot (GIN yields an unordered bitmap: every
///   match is fetched and sorted before the first page).
/// - `plexus_log`: seq, uuid, origin_ts and role of every message, unpartitioned. Its unique
///   uuid index is the dedupe authority and the by-uuid lookup: a unique index on a partitioned
///   table must contain the partition key, so `message_exchange` itself cannot enforce
///   "one row per message_uuid".
/// - `plexus_outbox`, `plexus_inbox`, `plexus_dead_letters`: forwarding custody, subject inboxes
///   and dead letters, as in the SQLite log.
///
/// Migrations run at open (and with `plexus store migrate`) in one transaction under an
/// advisory lock, recorded in `plexus_schema_migrations`. A step is never edited once released.
enum PostgresSchema {
    struct Migration: Sendable {
        var version: Int
        var summary: String
        /// Statements for the chosen partitioning (`timescale` true for a hypertable).
        var statements: @Sendable (_ timescale: Bool) -> [String]
    }

    static let migrations: [Migration] = [
        Migration(version: 1, summary: "message log, subject index, log index, outbox, inbox, dead letters") { timescale in
            let partitioned = timescale ? "" : " PARTITION BY RANGE (origin_ts)"
            var statements = [
                """
                CREATE TABLE message_exchange (
                    seq BIGINT NOT NULL,
                    message_uuid UUID NOT NULL,
                    origin_ts TIMESTAMPTZ NOT NULL,
                    ack_ts TIMESTAMPTZ,
                    topic TEXT NOT NULL,
                    message_type TEXT NOT NULL,
                    source_subject_id TEXT,
                    destination_subject_ids TEXT[] NOT NULL,
                    message_data JSONB,
                    message_metadata JSONB,
                    node_role TEXT NOT NULL,
                    hops JSONB NOT NULL,
                    policy_decision JSONB,
                    envelope TEXT NOT NULL
                )\(partitioned)
                """,
                """
                CREATE TABLE message_subjects (
                    subject_id TEXT NOT NULL,
                    origin_ts TIMESTAMPTZ NOT NULL,
                    seq BIGINT NOT NULL,
                    PRIMARY KEY (subject_id, origin_ts, seq)
                )\(partitioned)
                """,
            ]
            if timescale {
                statements += [
                    "SELECT create_hypertable('message_exchange', 'origin_ts', chunk_time_interval => INTERVAL '1 day')",
                    "SELECT create_hypertable('message_subjects', 'origin_ts', chunk_time_interval => INTERVAL '1 day')",
                    """
                    ALTER TABLE message_exchange SET (timescaledb.compress, timescaledb.compress_segmentby = 'topic',
                        timescaledb.compress_orderby = 'origin_ts DESC, seq DESC')
                    """,
                    "SELECT add_compression_policy('message_exchange', INTERVAL '7 days')",
                ]
            } else {
                statements += [
                    "CREATE TABLE message_exchange_default PARTITION OF message_exchange DEFAULT",
                    "CREATE TABLE message_subjects_default PARTITION OF message_subjects DEFAULT",
                ]
            }
            statements += [
                // Ascending like the SQLite log's: new rows land at the right edge of each b-tree.
                // Pages walk them backwards for newest-first order.
                "CREATE INDEX message_exchange_by_time ON message_exchange (origin_ts, seq)",
                "CREATE INDEX message_exchange_by_topic ON message_exchange (topic, origin_ts, seq)",
                """
                CREATE TABLE plexus_log (
                    seq BIGINT PRIMARY KEY,
                    message_uuid UUID NOT NULL UNIQUE,
                    origin_ts TIMESTAMPTZ NOT NULL,
                    node_role TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE plexus_outbox (
                    message_uuid UUID PRIMARY KEY,
                    hop_count SMALLINT NOT NULL,
                    targets TEXT NOT NULL,
                    enqueued_at TIMESTAMPTZ NOT NULL,
                    envelope TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE plexus_inbox (
                    subject_id TEXT NOT NULL,
                    message_uuid UUID NOT NULL,
                    seq BIGINT NOT NULL,
                    PRIMARY KEY (subject_id, message_uuid)
                )
                """,
                """
                CREATE TABLE plexus_dead_letters (
                    id BIGSERIAL PRIMARY KEY,
                    message_uuid UUID NOT NULL,
                    at TIMESTAMPTZ NOT NULL,
                    reason TEXT NOT NULL,
                    targets TEXT NOT NULL,
                    envelope TEXT
                )
                """,
            ]
            return statements
        },
    ]

    static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The schema's partitioning, as created by migration 1.
    enum Layout: String, Sendable { case timescale, native }

    /// Creates the schema if needed, sets it as the connection's search path, and applies every
    /// pending migration. Returns the layout and version the schema now has.
    @discardableResult
    static func migrate(
        _ connection: PostgresConnection, configuration: PostgresStoreConfiguration, logger: Logger
    ) async throws -> (layout: Layout, version: Int) {
        let schema = configuration.schema
        try await useSchema(connection, schema)
        try await connection.query("BEGIN", logger: logger)
        do {
            // Two nodes starting on one schema at once: the second waits here, then finds it migrated.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(schema + ".migrate")))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS plexus_schema_migrations (
                    version INT PRIMARY KEY, summary TEXT NOT NULL, layout TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var current = 0
            var layout: Layout?
            for try await (version, name) in try await connection.query(
                "SELECT version, layout FROM plexus_schema_migrations ORDER BY version", logger: logger
            ).decode((Int, String).self) {
                current = max(current, version)
                layout = Layout(rawValue: name)
            }
            guard current <= latestVersion else {
                throw StoreError(.migrationFailed, "schema \(schema) has version \(current), newer than this build knows (\(latestVersion)); run a newer plexus")
            }
            let chosen: Layout
            if let layout { chosen = layout } else { chosen = try await chooseLayout(connection, configuration.partitioning, logger: logger) }
            for migration in migrations where migration.version > current {
                logger.info("applying PostgreSQL log migration", metadata: [
                    "plexus.store.schema": .string(schema), "plexus.store.schema_version": .stringConvertible(migration.version),
                    "plexus.store.migration": .string(migration.summary), "plexus.store.layout": .string(chosen.rawValue),
                ])
                for statement in migration.statements(chosen == .timescale) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO plexus_schema_migrations (version, summary, layout) VALUES (\(migration.version), \(migration.summary), \(chosen.rawValue))",
                    logger: logger
                )
            }
            try await connection.query("COMMIT", logger: logger)
            return (chosen, latestVersion)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            if let error = error as? StoreError { throw error }
            throw StoreError(.migrationFailed, "migrating schema \(schema) to version \(latestVersion): \(PostgresErrors.describe(error))")
        }
    }

    static func useSchema(_ connection: PostgresConnection, _ schema: String) async throws {
        // The name is checked to be a plain identifier by `PostgresStoreConfiguration.validate`.
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: Logger(label: "plexus.store.postgres"))
        try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \"\(schema)\", public"), logger: Logger(label: "plexus.store.postgres"))
    }

    /// `auto`: TimescaleDB when the server can load it, else native partitions.
    private static func chooseLayout(
        _ connection: PostgresConnection, _ wanted: PostgresStoreConfiguration.Partitioning, logger: Logger
    ) async throws -> Layout {
        if wanted == .native { return .native }
        var available = false
        for try await _ in try await connection.query(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'", logger: logger
        ) { available = true }
        if available {
            try await connection.query("CREATE EXTENSION IF NOT EXISTS timescaledb", logger: logger)
            return .timescale
        }
        if wanted == .timescale {
            throw StoreError(.migrationFailed, "partitioning: timescale was asked for, but the server has no timescaledb extension; install it or use partitioning: native (or auto)")
        }
        return .native
    }

    /// The highest seq in the log, 0 when it is empty.
    static func maxSeq(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        for try await (seq) in try await connection.query("SELECT COALESCE(MAX(seq), 0)::int8 FROM plexus_log", logger: logger).decode(Int64.self) {
            return seq
        }
        return 0
    }
}
