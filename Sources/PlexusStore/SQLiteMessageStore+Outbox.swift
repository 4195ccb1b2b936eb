import NIOCore
import PlexusCore
import SQLiteNIO

/// The forwarding outbox and dead letters (docs/routing.md): written by the group-commit writer
/// with the log, read back at start.
extension SQLiteMessageStore {
    public func release(_ ids: [MessageID]) {
        guard !ids.isEmpty else { return }
        queue.housekeep(lazy: true) { $0.releases.append(contentsOf: ids) }
    }

    public func deadLetter(_ letters: [DeadLetter]) {
        guard !letters.isEmpty else { return }
        queue.housekeep { $0.deadLetters.append(contentsOf: letters) }
    }

    public func inboxAcknowledged(_ acks: [InboxAck]) {
        guard !acks.isEmpty else { return }
        queue.housekeep { $0.inboxAcks.append(contentsOf: acks) }
    }

    public func inbox() async throws -> [InboxEntry] {
        try await withReader(doing: "reading subject inboxes") { connection in
            try await connection.query("""
                SELECT i.subject_id, m.message_uuid, m.body FROM inbox i JOIN messages m ON m.message_uuid = i.message_uuid
                ORDER BY i.seq, i.subject_id
                """).map { row in
                guard let subject = row.column("subject_id")?.string,
                      let id = row.column("message_uuid").flatMap(SQLiteMessageSQL.messageID(from:)),
                      case .blob(let body)? = row.column("body")
                else { throw StoreError(.corrupt, "an inbox row has a missing or malformed column: \(row)") }
                return InboxEntry(subject: subject, messageID: id, json: Array(buffer: body))
            }
        }
    }

    public func outbox() async throws -> [OutboxEntry] {
        try await withReader(doing: "reading the outbox") { connection in
            // Rows of schema version 3 and before carry their own body; later ones the log row's.
            let rows = try await connection.query("""
                SELECT o.message_uuid, o.hop_count, o.targets, CASE WHEN length(o.body) > 0 THEN o.body ELSE m.body END AS body
                FROM outbox o LEFT JOIN messages m ON m.message_uuid = o.message_uuid ORDER BY o.enqueued_at
                """)
            return try rows.compactMap { row in
                guard let id = row.column("message_uuid").flatMap(SQLiteMessageSQL.messageID(from:)),
                      let hops = row.column("hop_count")?.integer, let targets = row.column("targets")?.string
                else { throw StoreError(.corrupt, "an outbox row has a missing or malformed column: \(row)") }
                guard case .blob(let body)? = row.column("body"), body.readableBytes > 0 else {
                    // Cannot happen (the two rows are written in one transaction and log rows are
                    // never deleted); should it, the rest of the outbox must still go on.
                    logger.error("the outbox holds a message whose log row is missing; skipping it", metadata: [
                        "plexus.message": "\(id)", "plexus.store.path": .string(path),
                    ])
                    return nil
                }
                return OutboxEntry(messageID: id, hopCount: UInt8(clamping: hops), targets: RouteTarget.list(from: targets),
                                   json: Array(buffer: body))
            }
        }
    }

    public func deadLetters(limit: Int) async throws -> [DeadLetter] {
        try await withReader(doing: "reading dead letters") { connection in
            try await connection.query("SELECT message_uuid, at, reason, targets, body FROM dead_letters ORDER BY id DESC LIMIT ?",
                                       [.integer(limit)]).map { row in
                guard let id = row.column("message_uuid").flatMap(SQLiteMessageSQL.messageID(from:)),
                      let at = row.column("at")?.integer, let reason = row.column("reason")?.string,
                      let targets = row.column("targets")?.string
                else { throw StoreError(.corrupt, "a dead_letters row has a missing or malformed column: \(row)") }
                let body: [UInt8]? = if case .blob(let b)? = row.column("body") { Array(buffer: b) } else { nil }
                return DeadLetter(messageID: id, at: Timestamp(microseconds: Int64(at)), reason: reason, targets: RouteTarget.list(from: targets), json: body)
            }
        }
    }
}
