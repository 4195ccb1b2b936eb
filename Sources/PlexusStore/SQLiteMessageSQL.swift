import Foundation
import PlexusCore
import SQLiteNIO

/// The SQL the log runs to write rows, shared by `SQLiteMessageStore` and
/// `SQLiteRawInsertBenchmark`, so the benchmark's "raw SQLite" figure times exactly the statements
/// the store executes.
///
/// sqlite-nio runs every `query` call as one job on its thread pool, and that hop costs far more
/// than inserting a row. So rows go in as multi-row `INSERT ... VALUES (...),(...)` statements:
/// one hop per few thousand rows instead of one per row.
enum SQLiteMessageSQL {
    /// Bound parameters per statement. SQLite's own limit is higher in sqlite-nio's build
    /// (250,000) but 32,766 in a stock build; staying under it keeps the SQL portable.
    static let maxBindsPerStatement = 30_000

    static let messageColumns = "seq, message_uuid, origin_ts, ack_ts, topic, message_type, source_subject_id, role, body"
    static let messageColumnCount = 9
    static let subjectColumnCount = 3

    /// A record about to be written, with the seq the writer assigned it.
    struct NewRow: Sendable {
        var seq: Int64
        var record: LogRecord
    }

    /// `(?,?,?),(?,?,?),...` for `rows` rows of `columns` parameters.
    static func valuesList(rows: Int, columns: Int) -> String {
        var tuple = "("
        for column in 0..<columns { tuple += column == 0 ? "?" : ",?" }
        tuple += ")"
        var sql = ""
        sql.reserveCapacity(rows * (tuple.utf8.count + 1))
        for row in 0..<rows {
            if row > 0 { sql += "," }
            sql += tuple
        }
        return sql
    }

    /// Inserts the rows into `messages`, in as few statements as the bind limit allows.
    static func insertMessages(_ rows: ArraySlice<NewRow>, on connection: SQLiteConnection) async throws {
        let perStatement = maxBindsPerStatement / messageColumnCount
        var start = rows.startIndex
        while start < rows.endIndex {
            let end = min(start + perStatement, rows.endIndex)
            var binds: [SQLiteData] = []
            binds.reserveCapacity((end - start) * messageColumnCount)
            for row in rows[start..<end] {
                let envelope = row.record.envelope
                binds.append(.integer(Int(row.seq)))
                binds.append(uuidData(envelope.messageID))
                binds.append(.integer(Int(envelope.originTS.microseconds)))
                binds.append(envelope.ackTS.map { .integer(Int($0.microseconds)) } ?? .null)
                binds.append(.text(envelope.topic.value))
                binds.append(.text(envelope.messageType))
                binds.append(envelope.sourceSubjectID.map { .text($0) } ?? .null)
                binds.append(.text(row.record.role.rawValue))
                binds.append(.blob(ByteBuffer(bytes: row.record.json)))
            }
            let sql = "INSERT INTO messages (\(messageColumns)) VALUES \(valuesList(rows: end - start, columns: messageColumnCount))"
            try await connection.query(sql, binds) { _ in }
            start = end
        }
    }

    /// Inserts one `message_subjects` row per distinct subject (sender and recipients) of each row.
    static func insertSubjects(_ rows: ArraySlice<NewRow>, on connection: SQLiteConnection) async throws {
        let perStatement = maxBindsPerStatement / subjectColumnCount
        var binds: [SQLiteData] = []
        var pendingRows = 0

        func flush() async throws {
            guard pendingRows > 0 else { return }
            let sql = "INSERT INTO message_subjects (subject_id, origin_ts, seq) VALUES \(valuesList(rows: pendingRows, columns: subjectColumnCount))"
            try await connection.query(sql, binds) { _ in }
            binds.removeAll(keepingCapacity: true)
            pendingRows = 0
        }

        for row in rows {
            let envelope = row.record.envelope
            for subject in distinctSubjects(of: envelope) {
                binds.append(.text(subject))
                binds.append(.integer(Int(envelope.originTS.microseconds)))
                binds.append(.integer(Int(row.seq)))
                pendingRows += 1
                if pendingRows == perStatement { try await flush() }
            }
        }
        try await flush()
    }

    /// Sender and recipients, each once: a recipient list may name someone twice, and the primary
    /// key allows one row per subject and message.
    static func distinctSubjects(of envelope: Envelope) -> [String] {
        let subjects = envelope.subjects
        if subjects.count <= 8 {
            var distinct: [String] = []
            for subject in subjects where !distinct.contains(subject) { distinct.append(subject) }
            return distinct
        }
        var seen: Set<String> = []
        return subjects.filter { seen.insert($0).inserted }
    }

    /// The uuids among `ids` that are already in `messages`.
    static func existingIDs(_ ids: [MessageID], on connection: SQLiteConnection) async throws -> Set<MessageID> {
        var found: Set<MessageID> = []
        var start = 0
        while start < ids.count {
            let end = min(start + maxBindsPerStatement, ids.count)
            let binds = ids[start..<end].map(uuidData)
            let sql = "SELECT message_uuid FROM messages WHERE message_uuid IN \(valuesList(rows: 1, columns: end - start))"
            let rows = try await connection.query(sql, binds)
            for row in rows {
                if let id = row.column("message_uuid").flatMap(messageID(from:)) { found.insert(id) }
            }
            start = end
        }
        return found
    }

    static func uuidData(_ id: MessageID) -> SQLiteData {
        withUnsafeBytes(of: id.uuid.uuid) { .blob(ByteBuffer(bytes: $0)) }
    }

    static func messageID(from data: SQLiteData) -> MessageID? {
        guard case .blob(let buffer) = data, buffer.readableBytes == 16 else { return nil }
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        buffer.withUnsafeReadableBytes { source in
            withUnsafeMutableBytes(of: &raw) { $0.copyMemory(from: source) }
        }
        return MessageID(UUID(uuid: raw))
    }
}
