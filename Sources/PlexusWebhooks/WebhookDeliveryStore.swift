import Foundation
import Logging
import NIOCore
import PlexusCore
import SQLiteNIO

/// The dispatcher's durable state in one SQLite file: queued deliveries, the attempt log, and
/// endpoints disabled by a 410.
///
/// A delivery row is committed (WAL, `synchronous=FULL`) before `publish` returns, so a restart
/// loses no notification; the run loop reads due rows back from here, never from memory alone.
/// One connection, and every operation runs alone under `gate` (several are transactions).
final class WebhookDeliveryStore: Sendable {
    let path: String
    private let connection: SQLiteConnection
    private let gate = WebhookSerialGate()

    /// A delivery to queue.
    struct NewDelivery: Sendable {
        var endpointID: String
        var eventID: String
        var eventKind: String
        var body: [UInt8]
    }

    /// A pending delivery whose time has come, with what an attempt needs.
    struct DueDelivery: Sendable {
        var id: Int64
        var endpointID: String
        var eventID: String
        var body: [UInt8]
        var state: WebhookDeliveryState
    }

    private init(path: String, connection: SQLiteConnection) {
        self.path = path
        self.connection = connection
    }

    static func open(path: String, logger: Logger) async throws -> WebhookDeliveryStore {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            // WAL: the log can be read while an attempt is being recorded. FULL: a delivery is on
            // disk when publish returns, power cut or not.
            _ = try await connection.query("PRAGMA journal_mode = WAL")
            _ = try await connection.query("PRAGMA synchronous = FULL")
            _ = try await connection.query("PRAGMA busy_timeout = 5000")
            try await migrate(connection)
        } catch {
            // In a task of its own: when the error is our caller's cancellation, a close in
            // this task would be cancelled too, and sqlite-nio asserts on an unclosed connection.
            await Task { try? await connection.close() }.value
            throw error
        }
        return WebhookDeliveryStore(path: path, connection: connection)
    }

    func close() async {
        _ = try? await gate.withLock { try await connection.close() }
    }

    // MARK: Schema

    private static let schema: [String] = [
        // id doubles as the order of the log (newest first = id DESC). One row per (event,
        // endpoint): publishing the same event again queues nothing new.
        """
        CREATE TABLE webhook_deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            endpoint_id TEXT NOT NULL,
            event_id TEXT NOT NULL,
            event_kind TEXT NOT NULL,
            body BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            failure_reason TEXT,
            UNIQUE (event_id, endpoint_id)
        )
        """,
        // The run loop's question, "what is due", and the log's, "an endpoint's newest".
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'",
        "CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id)",
        """
        CREATE TABLE webhook_attempts (
            delivery_id INTEGER NOT NULL,
            number INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            duration_us INTEGER NOT NULL,
            status_code INTEGER,
            error TEXT,
            PRIMARY KEY (delivery_id, number)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE webhook_disabled_endpoints (
            endpoint_id TEXT PRIMARY KEY,
            disabled_at INTEGER NOT NULL,
            reason TEXT NOT NULL
        ) WITHOUT ROWID
        """,
    ]

    private static func migrate(_ connection: SQLiteConnection) async throws {
        let version = try await connection.query("PRAGMA user_version").first?.column("user_version")?.integer ?? 0
        guard version < 1 else { return }
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            for statement in schema { _ = try await connection.query(statement) }
            _ = try await connection.query("PRAGMA user_version = 1")
            _ = try await connection.query("COMMIT")
        } catch {
            _ = try? await connection.query("ROLLBACK")
            throw error
        }
    }

    // MARK: Writing

    /// Queues deliveries in one transaction; returns the ids of the rows that were new.
    func insert(_ deliveries: [NewDelivery], createdAt: Timestamp) async throws -> [Int64] {
        try await transaction {
            var ids: [Int64] = []
            for delivery in deliveries {
                let rows = try await connection.query(
                    """
                    INSERT INTO webhook_deliveries (endpoint_id, event_id, event_kind, body, created_at, status, next_attempt_at)
                    VALUES (?, ?, ?, ?, ?, 'pending', ?)
                    ON CONFLICT (event_id, endpoint_id) DO NOTHING
                    RETURNING id
                    """,
                    [
                        .text(delivery.endpointID), .text(delivery.eventID), .text(delivery.eventKind),
                        .blob(ByteBuffer(bytes: delivery.body)), .integer(Int(createdAt.microseconds)),
                        .integer(Int(createdAt.microseconds)),
                    ]
                )
                if let id = rows.first?.column("id")?.integer { ids.append(Int64(id)) }
            }
            return ids
        }
    }

    /// Records a finished attempt and the delivery's new phase together.
    func record(_ attempt: WebhookAttemptRecord, deliveryID: Int64, state: WebhookDeliveryState) async throws {
        let (status, next, reason) = Self.columns(for: state)
        try await transaction {
            _ = try await connection.query(
                "INSERT OR REPLACE INTO webhook_attempts (delivery_id, number, started_at, duration_us, status_code, error) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    .integer(Int(deliveryID)), .integer(attempt.number), .integer(Int(attempt.startedAt.microseconds)),
                    .integer(Int(attempt.duration.webhookMicroseconds)),
                    attempt.statusCode.map { .integer($0) } ?? .null, attempt.error.map { .text($0) } ?? .null,
                ]
            )
            _ = try await connection.query(
                "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, failure_reason = ? WHERE id = ?",
                [
                    .text(status.rawValue), .integer(state.attemptsMade), next.map { .integer(Int($0.microseconds)) } ?? .null,
                    reason.map { .text($0) } ?? .null, .integer(Int(deliveryID)),
                ]
            )
        }
    }

    /// Persists the endpoint as disabled and stops its pending deliveries, in one transaction.
    func disableEndpoint(_ endpointID: String, at now: Timestamp, reason: String) async throws {
        try await transaction {
            _ = try await connection.query(
                "INSERT OR IGNORE INTO webhook_disabled_endpoints (endpoint_id, disabled_at, reason) VALUES (?, ?, ?)",
                [.text(endpointID), .integer(Int(now.microseconds)), .text(reason)]
            )
            _ = try await connection.query(
                "UPDATE webhook_deliveries SET status = 'gone', next_attempt_at = NULL WHERE endpoint_id = ? AND status = 'pending'",
                [.text(endpointID)]
            )
        }
    }

    func enableEndpoint(_ endpointID: String) async throws {
        try await gate.withLock {
            _ = try await connection.query("DELETE FROM webhook_disabled_endpoints WHERE endpoint_id = ?", [.text(endpointID)])
        }
    }

    // MARK: Reading

    func disabledEndpoints() async throws -> Set<String> {
        try await gate.withLock {
            let rows = try await connection.query("SELECT endpoint_id FROM webhook_disabled_endpoints")
            return Set(rows.compactMap { $0.column("endpoint_id")?.string })
        }
    }

    /// Pending deliveries due by `now` for the given endpoints, oldest due first, skipping those in flight.
    func due(now: Timestamp, endpoints: [String], excluding inFlight: Set<Int64>, limit: Int) async throws -> [DueDelivery] {
        guard !endpoints.isEmpty, limit > 0 else { return [] }
        let (filter, binds) = Self.filter(endpoints: endpoints, excluding: inFlight)
        return try await gate.withLock {
            let rows = try await connection.query(
                """
                SELECT id, endpoint_id, event_id, body, created_at, attempts, next_attempt_at FROM webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= ? \(filter)
                ORDER BY next_attempt_at, id LIMIT ?
                """,
                [.integer(Int(now.microseconds))] + binds + [.integer(limit)]
            )
            return rows.compactMap { row in
                guard let id = row.column("id")?.integer, let endpointID = row.column("endpoint_id")?.string,
                      let eventID = row.column("event_id")?.string, var body = row.column("body")?.blob,
                      let created = row.column("created_at")?.integer, let attempts = row.column("attempts")?.integer,
                      let due = row.column("next_attempt_at")?.integer
                else { return nil }
                let state = WebhookDeliveryState(
                    restoring: .pending(due: Timestamp(microseconds: Int64(due))), attemptsMade: attempts,
                    createdAt: Timestamp(microseconds: Int64(created))
                )
                return DueDelivery(
                    id: Int64(id), endpointID: endpointID, eventID: eventID,
                    body: body.readBytes(length: body.readableBytes) ?? [], state: state
                )
            }
        }
    }

    /// The earliest next attempt among the given endpoints' pending deliveries not in flight.
    func nextDue(endpoints: [String], excluding inFlight: Set<Int64>) async throws -> Timestamp? {
        guard !endpoints.isEmpty else { return nil }
        let (filter, binds) = Self.filter(endpoints: endpoints, excluding: inFlight)
        return try await gate.withLock {
            let rows = try await connection.query(
                "SELECT MIN(next_attempt_at) AS due FROM webhook_deliveries WHERE status = 'pending' \(filter)", binds
            )
            return rows.first?.column("due")?.integer.map { Timestamp(microseconds: Int64($0)) }
        }
    }

    /// An endpoint's deliveries, newest first, each with its attempts.
    func deliveries(endpointID: String, limit: Int) async throws -> [WebhookDeliveryRecord] {
        try await gate.withLock {
            let rows = try await connection.query(
                """
                SELECT id, endpoint_id, event_id, event_kind, status, created_at, next_attempt_at, failure_reason
                FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?
                """,
                [.text(endpointID), .integer(max(0, limit))]
            )
            var records: [WebhookDeliveryRecord] = rows.compactMap { row in
                guard let id = row.column("id")?.integer, let endpoint = row.column("endpoint_id")?.string,
                      let eventID = row.column("event_id")?.string, let kind = row.column("event_kind")?.string,
                      let status = row.column("status")?.string.flatMap(WebhookDeliveryRecord.Status.init(rawValue:)),
                      let created = row.column("created_at")?.integer
                else { return nil }
                return WebhookDeliveryRecord(
                    id: Int64(id), endpointID: endpoint, eventID: eventID, eventKind: kind, status: status,
                    createdAt: Timestamp(microseconds: Int64(created)),
                    nextAttemptAt: row.column("next_attempt_at")?.integer.map { Timestamp(microseconds: Int64($0)) },
                    failureReason: row.column("failure_reason")?.string, attempts: []
                )
            }
            guard !records.isEmpty else { return [] }
            let placeholders = Array(repeating: "?", count: records.count).joined(separator: ",")
            let attemptRows = try await connection.query(
                "SELECT delivery_id, number, started_at, duration_us, status_code, error FROM webhook_attempts WHERE delivery_id IN (\(placeholders)) ORDER BY delivery_id, number",
                records.map { .integer(Int($0.id)) }
            )
            var byDelivery: [Int64: [WebhookAttemptRecord]] = [:]
            for row in attemptRows {
                guard let delivery = row.column("delivery_id")?.integer, let number = row.column("number")?.integer,
                      let started = row.column("started_at")?.integer, let duration = row.column("duration_us")?.integer
                else { continue }
                byDelivery[Int64(delivery), default: []].append(WebhookAttemptRecord(
                    number: number, startedAt: Timestamp(microseconds: Int64(started)), duration: .microseconds(duration),
                    statusCode: row.column("status_code")?.integer, error: row.column("error")?.string
                ))
            }
            for index in records.indices { records[index].attempts = byDelivery[records[index].id] ?? [] }
            return records
        }
    }

    // MARK: Helpers

    private func transaction<T>(_ body: () async throws -> T) async throws -> T {
        try await gate.withLock {
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                let result = try await body()
                _ = try await connection.query("COMMIT")
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }

    private static func filter(endpoints: [String], excluding inFlight: Set<Int64>) -> (String, [SQLiteData]) {
        var sql = "AND endpoint_id IN (" + Array(repeating: "?", count: endpoints.count).joined(separator: ",") + ")"
        var binds: [SQLiteData] = endpoints.map { .text($0) }
        if !inFlight.isEmpty {
            sql += " AND id NOT IN (" + Array(repeating: "?", count: inFlight.count).joined(separator: ",") + ")"
            binds += inFlight.map { .integer(Int($0)) }
        }
        return (sql, binds)
    }

    /// How a phase is stored. `attempting` is stored as pending (due at once): after a crash the
    /// delivery is sent again rather than lost.
    private static func columns(for state: WebhookDeliveryState) -> (WebhookDeliveryRecord.Status, Timestamp?, String?) {
        switch state.phase {
        case .pending(let due): return (.pending, due, nil)
        case .attempting: return (.pending, state.createdAt, nil)
        case .succeeded: return (.succeeded, nil, nil)
        case .failed(let reason): return (.failed, nil, reason)
        case .endpointGone: return (.gone, nil, nil)
        }
    }
}
