import Foundation
import Logging
import PlexusCore
import PlexusStore
import PostgresNIO

/// Reads: by uuid through `plexus_log`, newest-first pages like the SQLite log's, the log in seq
/// order for edge followers, and the forwarding state at start. While PostgreSQL is down, a
/// message still in the spool is found there.
extension PostgresMessageStore {
    /// The columns every read returns, from `message_exchange m` (role from the log index `l`
    /// where joined, as promotions update both).
    static let storedColumns = "m.seq, m.message_uuid, (EXTRACT(EPOCH FROM m.origin_ts) * 1000000)::int8, m.node_role, m.topic, m.envelope"
    typealias StoredRow = (Int64, UUID, Int64, String, String, String)

    static func storedMessage(_ row: StoredRow) throws -> StoredMessage {
        guard let role = LogRole(rawValue: row.3) else {
            throw StoreError(.corrupt, "message \(row.1) has an unknown node_role \"\(row.3)\"")
        }
        return StoredMessage(seq: row.0, messageID: MessageID(row.1), originTS: Timestamp(microseconds: row.2), role: role,
                             json: Array(row.5.utf8), topic: row.4)
    }

    func read<T: Sendable>(_ doing: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        guard !state.withLock({ $0.closed }) else { throw StoreError(.closed, "the PostgreSQL log is closed") }
        do {
            return try await readers.with(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.ioFailure, "\(doing): \(PostgresErrors.describe(error))")
        }
    }

    func rows(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> [StoredMessage] {
        var found: [StoredMessage] = []
        for try await row in try await connection.query(query, logger: logger).decode(StoredRow.self) {
            found.append(try Self.storedMessage(row))
        }
        return found
    }

    public func message(id: MessageID) async throws -> StoredMessage? {
        do {
            let found = try await read("reading message \(id)") { connection in
                try await rows(connection, """
                    SELECT \(unescaped: Self.storedColumns) FROM plexus_log l
                    JOIN message_exchange m ON m.origin_ts = l.origin_ts AND m.seq = l.seq WHERE l.message_uuid = \(id.uuid)
                    """).first
            }
            if let found { return found }
        } catch let error as StoreError where error.code != .closed {
            guard let spool, health.spooled > 0, let spooled = try? await spool.message(id: id) else { throw error }
            return spooled
        }
        guard health.spooled > 0 else { return nil }
        return try? await spool?.message(id: id)
    }

    public func count() async throws -> Int {
        let logged = try await read("counting messages") { connection in
            var n: Int64 = 0
            for try await (count) in try await connection.query("SELECT COUNT(*)::int8 FROM plexus_log", logger: logger).decode(Int64.self) { n = count }
            return Int(n)
        }
        return logged + health.spooled
    }

    public func messages(after sequence: Int64, limit: Int) async throws -> [StoredMessage] {
        guard limit > 0 else { return [] }
        return try await read("reading the log after seq \(sequence)") { connection in
            try await rows(connection, """
                SELECT \(unescaped: Self.storedColumns) FROM plexus_log l
                JOIN message_exchange m ON m.origin_ts = l.origin_ts AND m.seq = l.seq
                WHERE l.seq > \(sequence) ORDER BY l.seq LIMIT \(limit)
                """)
        }
    }

    public func lastSequence() async throws -> Int64 {
        try await read("reading the last seq") { connection in
            try await PostgresSchema.maxSeq(connection, logger: logger)
        }
    }

    public func outbox() async throws -> [OutboxEntry] {
        var entries: [OutboxEntry] = []
        do {
            entries = try await read("reading the outbox") { connection in
                var entries: [OutboxEntry] = []
                for try await (uuid, hops, targets, body) in try await connection.query(
                    "SELECT message_uuid, hop_count, targets, envelope FROM plexus_outbox ORDER BY enqueued_at", logger: logger
                ).decode((UUID, Int16, String, String).self) {
                    entries.append(OutboxEntry(messageID: MessageID(uuid), hopCount: UInt8(clamping: hops),
                                               targets: RouteTarget.list(from: targets), json: Array(body.utf8)))
                }
                return entries
            }
        } catch where spool != nil && !health.reachable {
            // Started during an outage: what the spool holds is forwarded now; PostgreSQL's
            // outbox is read at the next start (docs/postgres.md).
            logger.warning("outbox read from the spool only: PostgreSQL is unreachable", metadata: ["plexus.error": "\(error)"])
        }
        let known = Set(entries.map(\.messageID))
        let spooled = try await spool?.outbox() ?? []
        return entries + spooled.filter { !known.contains($0.messageID) }
    }

    public func inbox() async throws -> [InboxEntry] {
        var entries: [InboxEntry] = []
        do {
            entries = try await read("reading subject inboxes") { connection in
                var entries: [InboxEntry] = []
                for try await (subject, uuid, body) in try await connection.query("""
                    SELECT i.subject_id, i.message_uuid, m.envelope FROM plexus_inbox i
                    JOIN plexus_log l ON l.message_uuid = i.message_uuid
                    JOIN message_exchange m ON m.origin_ts = l.origin_ts AND m.seq = l.seq
                    ORDER BY i.seq, i.subject_id
                    """, logger: logger).decode((String, UUID, String).self) {
                    entries.append(InboxEntry(subject: subject, messageID: MessageID(uuid), json: Array(body.utf8)))
                }
                return entries
            }
        } catch where spool != nil && !health.reachable {
            logger.warning("inboxes read from the spool only: PostgreSQL is unreachable", metadata: ["plexus.error": "\(error)"])
        }
        let known = Set(entries.map { InboxAck(subject: $0.subject, messageID: $0.messageID) })
        let spooled = try await spool?.inbox() ?? []
        return entries + spooled.filter { !known.contains(InboxAck(subject: $0.subject, messageID: $0.messageID)) }
    }

    public func deadLetters(limit: Int) async throws -> [DeadLetter] {
        try await read("reading dead letters") { connection in
            var letters: [DeadLetter] = []
            for try await (uuid, at, reason, targets, body) in try await connection.query("""
                SELECT message_uuid, (EXTRACT(EPOCH FROM at) * 1000000)::int8, reason, targets, envelope
                FROM plexus_dead_letters ORDER BY id DESC LIMIT \(limit)
                """, logger: logger).decode((UUID, Int64, String, String, String?).self) {
                letters.append(DeadLetter(messageID: MessageID(uuid), at: Timestamp(microseconds: at), reason: reason,
                                          targets: RouteTarget.list(from: targets), json: body.map { Array($0.utf8) }))
            }
            return letters
        }
    }
}
