import Foundation
import Logging
import SQLiteNIO

/// Connection settings and versioned schema migrations of the SQLite log.
///
/// The schema version lives in `PRAGMA user_version`. Each migration is a numbered step; at open,
/// every step newer than the file's version runs, all in one transaction together with the version
/// bump, so a crash mid-migration leaves the file at its old version, never half-migrated. Later
/// features add steps at the end; a step is never edited once released.
enum SQLiteSchema {
    struct Migration: Sendable {
        var version: Int
        var summary: String
        var statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(
            version: 1,
            summary: "message log and subject index",
            statements: [
                // seq is the rowid: the writer assigns it itself, so subject rows can name it in the
                // same transaction without reading it back. body is the LogRecord's wire JSON,
                // served by reads byte for byte.
                """
                CREATE TABLE messages (
                    seq INTEGER PRIMARY KEY,
                    message_uuid BLOB NOT NULL UNIQUE CHECK (length(message_uuid) = 16),
                    origin_ts INTEGER NOT NULL,
                    ack_ts INTEGER,
                    topic TEXT NOT NULL,
                    message_type TEXT NOT NULL,
                    source_subject_id TEXT,
                    role TEXT NOT NULL,
                    body BLOB NOT NULL
                )
                """,
                // Newest-first pages with a (origin_ts, seq) cursor walk these indexes backwards. They are
                // ascending on purpose: new messages then land at the right edge of each b-tree,
                // where SQLite appends to packed pages instead of splitting pages in the middle.
                "CREATE INDEX messages_by_time ON messages (origin_ts, seq)",
                "CREATE INDEX messages_by_topic ON messages (topic, origin_ts, seq)",
                // A message concerns several subjects (sender and every recipient), which one
                // column cannot index. One row per (subject, message) makes "everything for
                // subject X, newest first" an index range scan instead of a table scan. WITHOUT
                // ROWID: the primary key is the whole row, so it is stored once.
                """
                CREATE TABLE message_subjects (
                    subject_id TEXT NOT NULL,
                    origin_ts INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    PRIMARY KEY (subject_id, origin_ts, seq)
                ) WITHOUT ROWID
                """,
            ]
        ),
        Migration(
            version: 2,
            summary: "forwarding outbox and dead letters",
            statements: [
                // Messages this node holds until every next hop acknowledged them (docs/routing.md).
                // Written in the same transaction as the log row, so custody is never acked
                // upstream before it is durable here. body is empty since version 4.
                """
                CREATE TABLE outbox (
                    message_uuid BLOB PRIMARY KEY,
                    hop_count INTEGER NOT NULL,
                    targets TEXT NOT NULL,
                    enqueued_at INTEGER NOT NULL,
                    body BLOB NOT NULL
                ) WITHOUT ROWID
                """,
                """
                CREATE TABLE dead_letters (
                    id INTEGER PRIMARY KEY,
                    message_uuid BLOB NOT NULL,
                    at INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    targets TEXT NOT NULL,
                    body BLOB
                )
                """,
            ]
        ),
        Migration(
            version: 3,
            summary: "subject inboxes",
            statements: [
                // Messages delivered to subjects homed here and not acknowledged by them yet
                // (`/v1/subjects/{id}/session`): written with the log row, so a restart between
                // delivery and the subject's ack does not lose the message for it. seq is the
                // log row's, for delivery order; the body is read from the log.
                """
                CREATE TABLE inbox (
                    subject_id TEXT NOT NULL,
                    message_uuid BLOB NOT NULL,
                    seq INTEGER NOT NULL,
                    PRIMARY KEY (subject_id, message_uuid)
                ) WITHOUT ROWID
                """,
            ]
        ),
        Migration(
            version: 4,
            summary: "outbox rows take their body from the log row",
            statements: [
                // New outbox rows have an empty body; `outbox()` reads the log row's (rows written
                // before keep their own copy, which it uses). Nothing to change in the file: the
                // version is raised so that an older build, which would forward the empty body,
                // refuses the file instead.
            ]
        ),
    ]

    static var latestVersion: Int { migrations.last?.version ?? 0 }

    enum ConnectionRole { case writer, reader, checkpointer }

    /// WAL pages after which the writer checkpoints by itself (SQLite's default is 1000). With
    /// background checkpoints on, this is only the backstop that bounds the WAL if the background
    /// task falls behind; the frames it finds are mostly copied already, so it is cheap.
    static func writerAutocheckpointPages(_ options: SQLiteStoreOptions) -> Int {
        options.backgroundCheckpoints ? 8_000 : 1_000
    }

    /// Opens a connection to `path`, creating the file and its directory, with the log's PRAGMAs.
    static func openConnection(
        path: String, role: ConnectionRole, options: SQLiteStoreOptions, logger: Logger
    ) async throws -> SQLiteConnection {
        if role == .writer {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError(.ioFailure, "cannot create directory \(directory.path) for the log: \(error)")
            }
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw StoreError(sqlite: error, while: "opening \(path)")
        }
        do {
            try await configure(connection, role: role, options: options)
            return connection
        } catch {
            try? await connection.close()
            throw StoreError(sqlite: error, while: "configuring \(path)")
        }
    }

    private static func configure(
        _ connection: SQLiteConnection, role: ConnectionRole, options: SQLiteStoreOptions
    ) async throws {
        if role == .writer {
            // WAL: readers never block the writer and the writer never blocks readers; a commit
            // is one append (and, with synchronous=FULL, one fsync) of the WAL file. The mode is
            // stored in the file, so the batch writer's own connection inherits it.
            let mode = try await connection.query("PRAGMA journal_mode = WAL").first?.column("journal_mode")?.string
            guard mode?.lowercased() == "wal" else {
                throw StoreError(.ioFailure, "the file system refused WAL journaling (journal_mode is \(mode ?? "unknown"))")
            }
        }
        for pragma in pragmas(for: role, options: options) {
            _ = try await connection.query(pragma)
        }
    }

    /// The per-connection settings of each role. busy_timeout comes first: it replaces
    /// sqlite-nio's default busy handler, which retries forever.
    static func pragmas(for role: ConnectionRole, options: SQLiteStoreOptions) -> [String] {
        var pragmas = [
            "PRAGMA busy_timeout = \(options.busyTimeoutMilliseconds)",
            "PRAGMA cache_size = -\(options.cacheSizeKiB)",
        ]
        switch role {
        case .writer:
            pragmas += [
                "PRAGMA synchronous = \(options.synchronous.rawValue)",
                "PRAGMA temp_store = MEMORY",
                "PRAGMA wal_autocheckpoint = \(writerAutocheckpointPages(options))",
            ]
        case .checkpointer:
            // Checkpoints fsync the database file as this connection's setting says.
            pragmas += ["PRAGMA synchronous = \(options.synchronous.rawValue)", "PRAGMA wal_autocheckpoint = 0"]
        case .reader:
            // A read connection can never write by accident.
            pragmas += ["PRAGMA query_only = ON"]
        }
        return pragmas
    }

    /// Runs every migration newer than the file's `user_version`, in one transaction.
    /// Returns the schema version the file now has.
    @discardableResult
    static func migrate(_ connection: SQLiteConnection, path: String, logger: Logger) async throws -> Int {
        do {
            _ = try await connection.query("BEGIN IMMEDIATE")
        } catch {
            throw StoreError(sqlite: error, while: "locking \(path) for migration")
        }
        do {
            let current = try await connection.query("PRAGMA user_version").first?.column("user_version")?.integer ?? 0
            guard current <= latestVersion else {
                throw StoreError(
                    .migrationFailed,
                    "\(path) has schema version \(current), newer than this build knows (\(latestVersion)); run a newer plexus"
                )
            }
            for migration in migrations where migration.version > current {
                logger.info("applying log schema migration", metadata: [
                    "plexus.store.path": .string(path),
                    "plexus.store.schema_version": .stringConvertible(migration.version),
                    "plexus.store.migration": .string(migration.summary),
                ])
                for statement in migration.statements {
                    _ = try await connection.query(statement)
                }
            }
            if current < latestVersion {
                _ = try await connection.query("PRAGMA user_version = \(latestVersion)")
            }
            _ = try await connection.query("COMMIT")
            return latestVersion
        } catch {
            _ = try? await connection.query("ROLLBACK")
            if let error = error as? StoreError { throw error }
            throw StoreError(.migrationFailed, "migrating \(path) to schema version \(latestVersion): \(error)")
        }
    }

    /// The highest seq in the log, or 0 when it is empty.
    static func maxSeq(_ connection: SQLiteConnection) async throws -> Int64 {
        let row = try await connection.query("SELECT MAX(seq) AS max_seq FROM messages").first
        return Int64(row?.column("max_seq")?.integer ?? 0)
    }
}
