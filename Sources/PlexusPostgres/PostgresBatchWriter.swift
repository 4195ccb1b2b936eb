import Foundation
import Logging
import PlexusCore
import PlexusStore
import PostgresNIO

/// One group commit in PostgreSQL: one transaction, a fixed handful of round trips whatever the
/// batch size.
///
/// 1. housekeeping (outbox releases, dead letters, inbox acks), set-based with `unnest`;
/// 2. one lookup of the batch's uuids in `plexus_log` (dedupe and relay→destination promotion);
/// 3. COPY of the new rows into `message_exchange`, `message_subjects` and `plexus_log`;
/// 4. outbox and inbox rows; COMMIT.
///
/// Dedupe is optimistic: the batch is first written as if none of its messages were logged
/// before (duplicates inside the batch are found in memory). `plexus_log`'s unique uuid index
/// then says whether that held: almost always, since a duplicate is a client's retry. If it did
/// not (unique violation), the transaction is rolled back and written again after one lookup of
/// the batch's uuids. The lookup costs more than all the COPYs together (10,000 index probes),
/// so it runs only when needed. This is safe because one writer owns the schema (the store holds
/// an advisory lock on this connection): no other transaction adds a uuid meanwhile.
struct PostgresBatchWriter {
    let connection: PostgresConnection
    let logger: Logger

    struct Committed: Sendable {
        var outcomes: [[AppendOutcome]]
        var nextSeq: Int64
    }

    /// Commits the batch (one inner array per append call). New rows get consecutive seqs from
    /// `firstSeq`. `refusals` names records to dead-letter instead of logging (found by a
    /// message-by-message retry after the server refused a value). On any failure the transaction
    /// is rolled back and nothing of the batch is written.
    func commit(
        _ batch: [[PostgresCopyRows.Prepared]], firstSeq: Int64, housekeeping: LogHousekeeping, refusals: [MessageID: String] = [:]
    ) async throws -> Committed {
        let committed = try await write(batch, firstSeq: firstSeq, housekeeping: housekeeping, refusals: refusals)
        try await finish()
        return committed
    }

    /// `commit` without the COMMIT: the batch written in a transaction left open, for `finish`.
    /// The pipelined writer sends one batch's COMMIT (a WAL flush PostgreSQL mostly waits on)
    /// while the next batch is written on its other connection.
    /// `beforeLookup` runs between the refused optimistic write and the lookup (the pipelined
    /// writer settles the COMMIT it has in flight there).
    func write(
        _ batch: [[PostgresCopyRows.Prepared]], firstSeq: Int64, housekeeping: LogHousekeeping, refusals: [MessageID: String] = [:],
        beforeLookup: () async throws -> Void = {}
    ) async throws -> Committed {
        do {
            return try await transaction(batch, firstSeq: firstSeq, housekeeping: housekeeping, refusals: refusals, lookup: false)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            try await beforeLookup()
            return try await transaction(batch, firstSeq: firstSeq, housekeeping: housekeeping, refusals: refusals, lookup: true)
        }
    }

    /// Commits the open transaction; when that fails the server has rolled it back.
    func finish() async throws {
        do { try await query("COMMIT") } catch {
            await rollbackIfOpen()
            throw error
        }
    }

    /// Ends a failed transaction on a connection that is still open (a closed one ended it).
    private func rollbackIfOpen() async {
        if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
    }

    private func transaction(
        _ batch: [[PostgresCopyRows.Prepared]], firstSeq: Int64, housekeeping: LogHousekeeping, refusals: [MessageID: String], lookup: Bool
    ) async throws -> Committed {
        try await query("BEGIN")
        do {
            return try await statements(batch, firstSeq: firstSeq, housekeeping: housekeeping, refusals: refusals, lookup: lookup)
        } catch {
            await rollbackIfOpen()
            throw error
        }
    }

    private func statements(
        _ batch: [[PostgresCopyRows.Prepared]], firstSeq: Int64, housekeeping: LogHousekeeping, refusals: [MessageID: String], lookup: Bool
    ) async throws -> Committed {
        var plan = Plan(firstSeq: firstSeq)
        var deadLetters = housekeeping.deadLetters
        // The refusal's time is the writer's: a record's own timestamps may be ones PostgreSQL
        // cannot hold (year 0), which is perhaps why it is refused.
        let now = WallClock.now()
        if lookup {
            // What the log already has of this batch's messages. A join with unnest, not
            // `= ANY(array)`: PostgreSQL 15 takes 6 times longer for the array form at 10,000 ids.
            let ids = Array(Set(batch.joined().map(\.record.envelope.messageID.uuid)))
            for try await (uuid, role) in try await query("""
                SELECT l.message_uuid, l.node_role FROM unnest(\(ids)::uuid[]) AS a(u) JOIN plexus_log l ON l.message_uuid = a.u
                """).decode((UUID, String).self) {
                plan.known[MessageID(uuid)] = LogRole(rawValue: role) ?? .origin
            }
        }
        for records in batch {
            plan.outcomes.append(records.map { prepared in
                let record = prepared.record
                if let reason = refusals[record.envelope.messageID] ?? prepared.refusal {
                    deadLetters.append(DeadLetter(
                        messageID: record.envelope.messageID, at: now,
                        reason: reason, targets: record.outbox, json: record.json
                    ))
                    return .refused(reason: reason)
                }
                return plan.add(prepared)
            })
        }

        if !housekeeping.releases.isEmpty {
            try await query(
                "DELETE FROM plexus_outbox o USING unnest(\(housekeeping.releases.map(\.uuid))::uuid[]) AS r(u) WHERE o.message_uuid = r.u")
        }
        if !deadLetters.isEmpty { try await insert(deadLetters) }
        if !housekeeping.inboxAcks.isEmpty {
            try await query("""
                DELETE FROM plexus_inbox i USING unnest(\(housekeeping.inboxAcks.map(\.subject))::text[], \(housekeeping.inboxAcks.map(\.messageID.uuid))::uuid[]) AS a(s, u)
                WHERE i.subject_id = a.s AND i.message_uuid = a.u
                """)
        }
        if !plan.promotions.isEmpty {
            let promoted = plan.promotions.map(\.uuid)
            try await query("""
                UPDATE message_exchange m SET node_role = 'destination' FROM plexus_log l
                WHERE l.message_uuid = ANY(\(promoted)) AND m.origin_ts = l.origin_ts AND m.seq = l.seq
                """)
            try await query(
                "UPDATE plexus_log SET node_role = 'destination' WHERE message_uuid = ANY(\(promoted))")
        }
        if !plan.rows.isEmpty {
            // plexus_log first: its unique index is what tells an optimistic write it met a
            // duplicate, before the wide rows are sent. The rows were encoded by the appending
            // callers; here they only get their seq and role.
            try await copy("plexus_log", PostgresCopyRows.logColumns, PostgresCopyRows.log(plan.rows))
            try await copy("message_exchange", PostgresCopyRows.messageColumns, PostgresCopyRows.messages(plan.rows))
            try await copy("message_subjects", PostgresCopyRows.subjectColumns, PostgresCopyRows.subjects(plan.rows))
        }
        if !plan.outbox.isEmpty {
            let entries = plan.outbox.values.sorted { $0.order < $1.order }
            try await query("""
                INSERT INTO plexus_outbox (message_uuid, hop_count, targets, enqueued_at, envelope)
                SELECT u, h, t, e::timestamptz, b FROM unnest(\(entries.map(\.id.uuid))::uuid[], \(entries.map { Int16($0.hopCount) })::int2[],
                    \(entries.map(\.targets))::text[], \(entries.map(\.enqueuedAt))::text[], \(entries.map(\.json))::text[]) AS o(u, h, t, e, b)
                ON CONFLICT (message_uuid) DO UPDATE SET targets = plexus_outbox.targets || ' ' || excluded.targets
                """)
        }
        if !plan.inbox.isEmpty {
            try await query("""
                INSERT INTO plexus_inbox (subject_id, message_uuid, seq)
                SELECT a.s, l.message_uuid, l.seq FROM unnest(\(plan.inbox.map(\.subject))::text[], \(plan.inbox.map(\.messageID.uuid))::uuid[]) AS a(s, u)
                JOIN plexus_log l ON l.message_uuid = a.u
                ON CONFLICT DO NOTHING
                """)
        }
        return Committed(outcomes: plan.outcomes, nextSeq: plan.nextSeq)
    }

    private func insert(_ letters: [DeadLetter]) async throws {
        try await query("""
            INSERT INTO plexus_dead_letters (message_uuid, at, reason, targets, envelope)
            SELECT u, a::timestamptz, r, t, NULLIF(b, '') FROM unnest(\(letters.map(\.messageID.uuid))::uuid[],
                \(letters.map(\.at.rfc3339))::text[], \(letters.map { Self.storable($0.reason) })::text[],
                \(letters.map { Self.storable($0.targets.map(\.description).joined(separator: " ")) })::text[],
                \(letters.map { $0.json.map { Self.storable(String(decoding: $0, as: UTF8.self)) } ?? "" })::text[]) AS d(u, a, r, t, b)
            """)
    }

    /// A query on the writer connection, refused at once when the connection is closed:
    /// postgres-nio writes a query to a closed channel without a promise, so its answer never
    /// comes and the caller would wait forever (seen when the server was killed between two
    /// statements of a transaction).
    @discardableResult
    private func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try PostgresConnectionLost.check(connection)
        return try await connection.query(query, logger: logger)
    }

    /// Text PostgreSQL accepts: a dead letter keeps whatever bytes a peer sent, and a raw NUL
    /// (invalid UTF-8 is already U+FFFD once decoded) would make the server refuse the whole
    /// transaction, and with it every commit that carries it.
    static func storable(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : $0 }))
    }

    private func copy(_ table: String, _ columns: [String], _ data: ByteBuffer) async throws {
        try await PostgresCopier(connection).copy(into: table, columns: columns, data: data, logger: logger)
    }

    /// What the batch writes, decided in memory before any row is sent.
    struct Plan {
        struct Outbox {
            var order: Int
            var id: MessageID
            var hopCount: UInt8
            var targets: String
            var enqueuedAt: String
            var json: String
        }

        var nextSeq: Int64
        /// Roles of the messages the log has (before this batch) or this batch adds.
        var known: [MessageID: LogRole] = [:]
        var rows: [PostgresCopyRows.Row] = []
        /// Index in `rows` of each message new in this batch.
        var rowIndex: [MessageID: Int] = [:]
        var promotions: [MessageID] = []
        var outbox: [MessageID: Outbox] = [:]
        var inbox: [InboxAck] = []
        var outcomes: [[AppendOutcome]] = []

        init(firstSeq: Int64) { nextSeq = firstSeq }

        /// The same rules as the SQLite log's writer: outbox targets are taken also for a
        /// duplicate; a destination record promotes a logged relay row and queues its inbox.
        mutating func add(_ prepared: PostgresCopyRows.Prepared) -> AppendOutcome {
            let record = prepared.record
            let id = record.envelope.messageID
            if !record.outbox.isEmpty { hold(record) }
            guard let role = known[id] else {
                known[id] = record.role
                rowIndex[id] = rows.count
                rows.append(PostgresCopyRows.Row(seq: nextSeq, prepared: prepared))
                nextSeq += 1
                queueInbox(record)
                return .stored(seq: nextSeq - 1)
            }
            guard record.role == .destination, role == .relay else { return .duplicate }
            known[id] = .destination
            if let index = rowIndex[id] { rows[index].role = .destination } else { promotions.append(id) }
            queueInbox(record)
            return .promoted
        }

        private mutating func queueInbox(_ record: LogRecord) {
            for subject in record.inbox { inbox.append(InboxAck(subject: subject, messageID: record.envelope.messageID)) }
        }

        private mutating func hold(_ record: LogRecord) {
            let id = record.envelope.messageID
            let targets = record.outbox.map(\.description).joined(separator: " ")
            if var entry = outbox[id] {
                entry.targets += " " + targets
                outbox[id] = entry
                return
            }
            outbox[id] = Outbox(
                order: outbox.count, id: id, hopCount: record.hopCount, targets: targets,
                enqueuedAt: (record.envelope.ackTS ?? record.envelope.originTS).rfc3339,
                json: String(decoding: record.json, as: UTF8.self)
            )
        }
    }
}
