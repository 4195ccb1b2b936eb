import Foundation
import Logging
import NIOCore
import PlexusCore
import PlexusWebhooks
import SQLiteNIO

/// The node's sessions in one SQLite file (`<data_dir>/sessions.sqlite`): each session as its
/// JSON document plus the columns the node asks about (status, subject, when it is next due),
/// and the callbacks already honoured (replay protection).
///
/// Every write is committed (WAL, `synchronous=FULL`) before the request that caused it is
/// answered, so a session acknowledged to an agent survives SIGKILL and power loss, and so does
/// its expiry: the due column is the durable schedule the node reloads on start.
public final class SessionStore: Sendable {
    let path: String
    private let connection: SQLiteConnection
    private let gate = WebhookSerialGate()
    /// Most sessions one list or filter returns (each is a whole document in memory).
    public static let maxList = 1_000

    private init(path: String, connection: SQLiteConnection) {
        self.path = path
        self.connection = connection
    }

    public static func open(path: String, logger: Logger) async throws -> SessionStore {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            _ = try await connection.query("PRAGMA journal_mode = WAL")
            _ = try await connection.query("PRAGMA synchronous = FULL")
            _ = try await connection.query("PRAGMA busy_timeout = 5000")
            let version = try await connection.query("PRAGMA user_version").first?.column("user_version")?.integer ?? 0
            if version < 1 {
                _ = try await connection.query("BEGIN IMMEDIATE")
                for statement in schema { _ = try await connection.query(statement) }
                _ = try await connection.query("PRAGMA user_version = 1")
                _ = try await connection.query("COMMIT")
            }
        } catch {
            // Its own task: a close in a cancelled task is cancelled too, and sqlite-nio asserts
            // on an unclosed connection.
            await Task { try? await connection.close() }.value
            throw error
        }
        return SessionStore(path: path, connection: connection)
    }

    public func close() async {
        _ = try? await gate.withLock { try await connection.close() }
    }

    static let schema = [
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            due INTEGER,
            unpublished INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            doc BLOB NOT NULL
        ) WITHOUT ROWID
        """,
        "CREATE INDEX sessions_due ON sessions (due) WHERE due IS NOT NULL",
        "CREATE INDEX sessions_unpublished ON sessions (id) WHERE unpublished = 1",
        "CREATE INDEX sessions_created ON sessions (created_at)",
        // A callback's key (its token, or a digest of a tokenless body) once it took effect.
        "CREATE TABLE session_callbacks (key TEXT PRIMARY KEY, session_id TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID",
    ]

    // MARK: Writing

    /// Stores a new session; false (and nothing written) when the id is taken.
    public func insert(_ session: HumanSession) async throws -> Bool {
        try await gate.withLock {
            let rows = try await connection.query(
                "INSERT INTO sessions (id, status, subject_id, due, unpublished, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id",
                Self.row(session) + [.integer(Int(session.createdAt.microseconds)), .blob(ByteBuffer(bytes: session.json.serialized()))]
            )
            return !rows.isEmpty
        }
    }

    /// Replaces a session's document, and records `callback` as used in the same transaction.
    public func save(_ session: HumanSession, callback: String? = nil, now: Timestamp) async throws {
        try await gate.withLock {
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                if let callback {
                    _ = try await connection.query("INSERT INTO session_callbacks (key, session_id, at) VALUES (?, ?, ?)",
                                                   [.text(callback), .text(session.id), .integer(Int(now.microseconds))])
                }
                let values = Self.row(session).dropFirst()
                _ = try await connection.query(
                    "UPDATE sessions SET status = ?, subject_id = ?, due = ?, unpublished = ?, doc = ? WHERE id = ?",
                    Array(values) + [.blob(ByteBuffer(bytes: session.json.serialized())), .text(session.id)]
                )
                _ = try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }

    /// Replaces several sessions' documents in one transaction (one fsync).
    public func save(all sessions: [HumanSession], now: Timestamp) async throws {
        guard !sessions.isEmpty else { return }
        try await gate.withLock {
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                for session in sessions {
                    _ = try await connection.query(
                        "UPDATE sessions SET status = ?, subject_id = ?, due = ?, unpublished = ?, doc = ? WHERE id = ?",
                        Array(Self.row(session).dropFirst()) + [.blob(ByteBuffer(bytes: session.json.serialized())), .text(session.id)])
                }
                _ = try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }

    public func delete(_ id: String) async throws -> Bool {
        try await gate.withLock {
            _ = try await connection.query("DELETE FROM session_callbacks WHERE session_id = ?", [.text(id)])
            return !(try await connection.query("DELETE FROM sessions WHERE id = ? RETURNING id", [.text(id)])).isEmpty
        }
    }

    /// id, status, subject, due, unpublished: the columns derived from the document.
    static func row(_ session: HumanSession) -> [SQLiteData] {
        [
            .text(session.id), .text(session.status.rawValue), .text(session.subjectID),
            session.nextDue.map { .integer(Int($0.microseconds)) } ?? .null,
            .integer(session.status == .validated && !session.resultPublished ? 1 : 0),
        ]
    }

    // MARK: Reading

    public func callbackUsed(_ key: String) async throws -> Bool {
        try await gate.withLock {
            !(try await connection.query("SELECT key FROM session_callbacks WHERE key = ?", [.text(key)])).isEmpty
        }
    }

    public func load(_ id: String) async throws -> HumanSession? {
        try await documents("SELECT doc FROM sessions WHERE id = ?", [.text(id)], skipBroken: false).first
    }

    /// Newest first, optionally only one status and/or subject.
    public func list(status: SessionStatus? = nil, subject: String? = nil, limit: Int = maxList) async throws -> [HumanSession] {
        var clauses: [String] = [], values: [SQLiteData] = []
        if let status { clauses.append("status = ?"); values.append(.text(status.rawValue)) }
        if let subject { clauses.append("subject_id = ?"); values.append(.text(subject)) }
        let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        return try await documents("SELECT doc FROM sessions \(filter) ORDER BY created_at DESC, id LIMIT ?",
                                   values + [.integer(min(max(limit, 0), Self.maxList))])
    }

    /// A page of every session, newest first, after the cursor `(created_at, id)` of the last
    /// one seen: filters scan in pages, so memory stays at one page whatever the store holds.
    public func page(after cursor: (createdAt: Timestamp, id: String)?, limit: Int) async throws -> [HumanSession] {
        guard let cursor else {
            return try await documents("SELECT doc FROM sessions ORDER BY created_at DESC, id LIMIT ?", [.integer(limit)])
        }
        return try await documents(
            "SELECT doc FROM sessions WHERE created_at < ? OR (created_at = ? AND id > ?) ORDER BY created_at DESC, id LIMIT ?",
            [.integer(Int(cursor.createdAt.microseconds)), .integer(Int(cursor.createdAt.microseconds)), .text(cursor.id), .integer(limit)])
    }

    /// Open sessions whose expiry or next delivery has come.
    public func due(now: Timestamp, limit: Int = 256) async throws -> [HumanSession] {
        try await documents("SELECT doc FROM sessions WHERE due IS NOT NULL AND due <= ? ORDER BY due LIMIT ?",
                            [.integer(Int(now.microseconds)), .integer(limit)])
    }

    public func nextDue() async throws -> Timestamp? {
        try await gate.withLock {
            let rows = try await connection.query("SELECT MIN(due) AS due FROM sessions WHERE due IS NOT NULL")
            return rows.first?.column("due")?.integer.map { Timestamp(microseconds: Int64($0)) }
        }
    }

    /// Validated sessions whose result is not in the message log yet.
    public func unpublished(limit: Int = 256) async throws -> [HumanSession] {
        try await documents("SELECT doc FROM sessions WHERE unpublished = 1 LIMIT ?", [.integer(limit)])
    }

    /// Reads session documents. A list skips a row whose document does not decode (a disk
    /// error, a hand edit) rather than failing every read and stalling the schedule; reading
    /// that one session by id still reports it.
    private func documents(_ sql: String, _ values: [SQLiteData], skipBroken: Bool = true) async throws -> [HumanSession] {
        try await gate.withLock {
            let rows = try await connection.query(sql, values)
            var sessions: [HumanSession] = []
            for row in rows {
                do {
                    guard let blob = row.column("doc")?.blob else { throw PlexusError(.internalError, "a stored session has no document") }
                    sessions.append(try HumanSession(json: try JSONParser.parse(Array(blob.readableBytesView))))
                } catch where skipBroken {
                    continue
                }
            }
            return sessions
        }
    }
}
