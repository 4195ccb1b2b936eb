import NIOPosix
import PlexusCore
// sqlite-nio bundles SQLite as this C module; the write path uses its C API directly because
// sqlite-nio prepares every statement anew and hops to its thread pool per statement, which made
// the log's writes cost several times what SQLite itself needs.
import VaporCSQLite

/// The log's write connection: one transaction per group-commit batch, run in one go on the
/// writer's thread with statements prepared once and reused for every row.
///
/// Dedupe needs no lookup: `INSERT ... ON CONFLICT(message_uuid) DO NOTHING` and
/// `sqlite3_changes` say per row whether it was new, and only new rows get subject-index rows.
final class SQLiteBatchWriter: @unchecked Sendable {
    // @unchecked: the handle and statements are used only inside `commitHere` (by the store's
    // one writer task) and the thread-pool jobs of `insertRaw` (by the benchmark), whose caller
    // never has two in flight; `close()` runs after that caller has finished. So SQLite is never
    // entered concurrently through this object. `walFramesSlot` is written by SQLite's WAL hook
    // inside COMMIT and read right after it, on the same thread, by the same callers.
    private var db: OpaquePointer?
    private var insertMessage: OpaquePointer?
    private var insertMessageRaw: OpaquePointer?
    private var insertSubject: OpaquePointer?
    private var insertOutbox: OpaquePointer?
    private var promote: OpaquePointer?
    private var deleteOutbox: OpaquePointer?
    private var insertDeadLetter: OpaquePointer?
    private var insertInbox: OpaquePointer?
    private var insertInboxRow: OpaquePointer?
    private var deleteInbox: OpaquePointer?
    let path: String
    let threadPool: NIOThreadPool
    /// Frames in the WAL after the last commit, written by SQLite's WAL hook (a C callback, so
    /// it gets a pointer, not `self`); -1 until a commit writes to the WAL.
    private let walFramesSlot = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    /// The writer checkpoints by itself once the WAL holds this many frames (the backstop that
    /// `wal_autocheckpoint` was: registering the WAL hook replaces SQLite's own).
    let autocheckpointFrames: Int

    /// Rows one transaction produced: per append call, per record; plus the WAL's size after it.
    struct Committed: Sendable {
        var outcomes: [[AppendOutcome]]
        var nextSeq: Int64
        /// Frames (pages) in the WAL after this commit: what paces background checkpoints.
        var walFrames: Int
    }

    init(path: String, pragmas: [String], autocheckpointFrames: Int, threadPool: NIOThreadPool = .singleton) throws {
        self.path = path
        self.threadPool = threadPool
        self.autocheckpointFrames = autocheckpointFrames
        walFramesSlot.initialize(to: -1)
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE
        guard sqlite_nio_sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK else {
            let message = db.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite_nio_sqlite3_close_v2(db)
            throw StoreError(.ioFailure, "opening \(path) for writing: \(message)")
        }
        do {
            for pragma in pragmas { try exec(pragma) }
            // After the pragmas: `wal_autocheckpoint` would replace this hook again.
            sqlite_nio_sqlite3_wal_hook(db, { slot, _, _, frames in
                slot?.assumingMemoryBound(to: Int32.self).pointee = frames
                return SQLITE_OK
            }, walFramesSlot)
            let columns = SQLiteMessageSQL.messageColumns
            let values = "(" + Array(repeating: "?", count: SQLiteMessageSQL.messageColumnCount).joined(separator: ",") + ")"
            insertMessage = try prepare("INSERT INTO messages (\(columns)) VALUES \(values) ON CONFLICT(message_uuid) DO NOTHING")
            insertMessageRaw = try prepare("INSERT INTO messages (\(columns)) VALUES \(values)")
            insertSubject = try prepare("INSERT OR IGNORE INTO message_subjects (subject_id, origin_ts, seq) VALUES (?,?,?)")
            // An empty body: the message's body is its log row's, written in the same transaction
            // (or before, for a message taken again), and `outbox()` reads it from there. Copying
            // it here wrote every forwarded body to the WAL twice more (the insert, then the
            // release's page rewrite) for rows that mostly live for milliseconds.
            insertOutbox = try prepare("""
                INSERT INTO outbox (message_uuid, hop_count, targets, enqueued_at, body) VALUES (?,?,?,?,x'')
                ON CONFLICT(message_uuid) DO UPDATE SET targets = outbox.targets || ' ' || excluded.targets
                """)
            promote = try prepare("UPDATE messages SET role = 'destination' WHERE message_uuid = ? AND role = 'relay'")
            deleteOutbox = try prepare("DELETE FROM outbox WHERE message_uuid = ?")
            insertDeadLetter = try prepare("INSERT INTO dead_letters (message_uuid, at, reason, targets, body) VALUES (?,?,?,?,?)")
            // A message logged before (now promoted to destination): its seq is read from its row.
            insertInbox = try prepare("INSERT OR IGNORE INTO inbox (subject_id, message_uuid, seq) SELECT ?, message_uuid, seq FROM messages WHERE message_uuid = ?")
            // A row logged in this transaction: its seq is known, so no lookup of the row by id.
            insertInboxRow = try prepare("INSERT OR IGNORE INTO inbox (subject_id, message_uuid, seq) VALUES (?,?,?)")
            deleteInbox = try prepare("DELETE FROM inbox WHERE subject_id = ? AND message_uuid = ?")
        } catch {
            close()
            throw error
        }
    }

    /// The raw-SQLite benchmark's path: the same statement and transaction shape, messages table
    /// only, no dedupe and no subject index.
    func insertRaw(_ rows: ArraySlice<SQLiteMessageSQL.NewRow>) async throws {
        try await threadPool.runIfActive { [self] in
            try transaction {
                for row in rows { _ = try insertRow(insertMessageRaw, seq: row.seq, record: row.record) }
            }
            // The WAL hook replaced SQLite's auto-checkpoint on this connection too: without the
            // backstop the raw figure would not pay for checkpoints the store pays for.
            _ = checkpointIfFull()
        }
    }

    /// Commits the batch (one inner array per append call) in one transaction, on the calling
    /// thread, which blocks until COMMIT returned (the store's writer, on a thread of its own).
    /// New rows get consecutive seqs from `firstSeq`; a uuid already logged, or seen earlier in
    /// the batch, is `.duplicate`. On failure the transaction is rolled back and nothing of the
    /// batch is logged.
    func commitHere(_ batch: [[LogRecord]], firstSeq: Int64, housekeeping: LogHousekeeping = LogHousekeeping()) throws -> Committed {
        var seq = firstSeq
        var outcomes: [[AppendOutcome]] = []
        outcomes.reserveCapacity(batch.count)
        try transaction {
            // Releases first: a message released and taken again in one batch stays held.
            for id in housekeeping.releases {
                try withUnsafeBytes(of: id.uuid.uuid) { try bind(deleteOutbox, 1, blob: $0) }
                try step(deleteOutbox)
            }
            for letter in housekeeping.deadLetters { try writeDeadLetter(letter) }
            for ack in housekeeping.inboxAcks {
                try bind(deleteInbox, 1, text: ack.subject)
                try withUnsafeBytes(of: ack.messageID.uuid.uuid) { try bind(deleteInbox, 2, blob: $0) }
                try step(deleteInbox)
            }
            for records in batch {
                var result: [AppendOutcome] = []
                result.reserveCapacity(records.count)
                for record in records {
                    if !record.outbox.isEmpty { try writeOutbox(record) }
                    guard try insertRow(insertMessage, seq: seq, record: record) else {
                        let promoted = try record.role == .destination && promoteRow(record)
                        if promoted { try writeInbox(record) }
                        result.append(promoted ? .promoted : .duplicate)
                        continue
                    }
                    try writeInbox(record, seq: seq)
                    let envelope = record.envelope
                    for subject in envelope.distinctSubjects {
                        try bind(insertSubject, 1, text: subject)
                        try bind(insertSubject, 2, int: envelope.originTS.microseconds)
                        try bind(insertSubject, 3, int: seq)
                        try step(insertSubject)
                    }
                    result.append(.stored(seq: seq))
                    seq += 1
                }
                outcomes.append(result)
            }
        }
        return Committed(outcomes: outcomes, nextSeq: seq, walFrames: checkpointIfFull())
    }

    /// What SQLite's auto-checkpoint did after a commit, now that the WAL hook is this writer's:
    /// a PASSIVE checkpoint once the WAL reaches `autocheckpointFrames` (never blocks, and a
    /// failure is left to the next commit, as SQLite does). Returns the WAL's frames.
    private func checkpointIfFull() -> Int {
        let frames = Int(walFramesSlot.pointee)
        if frames >= autocheckpointFrames {
            _ = sqlite_nio_sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        }
        return max(frames, 0)
    }

    private func writeOutbox(_ record: LogRecord) throws {
        try withUnsafeBytes(of: record.envelope.messageID.uuid.uuid) { try bind(insertOutbox, 1, blob: $0) }
        try bind(insertOutbox, 2, int: Int64(record.hopCount))
        try bind(insertOutbox, 3, text: record.outbox.map(\.description).joined(separator: " "))
        try bind(insertOutbox, 4, int: record.envelope.ackTS?.microseconds ?? record.envelope.originTS.microseconds)
        try step(insertOutbox)
    }

    /// Inbox rows for the record's subjects; `seq` is its log row's when that row is new here.
    private func writeInbox(_ record: LogRecord, seq: Int64? = nil) throws {
        let statement = seq == nil ? insertInbox : insertInboxRow
        for subject in record.inbox {
            try bind(statement, 1, text: subject)
            try withUnsafeBytes(of: record.envelope.messageID.uuid.uuid) { try bind(statement, 2, blob: $0) }
            if let seq { try bind(statement, 3, int: seq) }
            try step(statement)
        }
    }

    private func promoteRow(_ record: LogRecord) throws -> Bool {
        try withUnsafeBytes(of: record.envelope.messageID.uuid.uuid) { try bind(promote, 1, blob: $0) }
        try step(promote)
        return sqlite_nio_sqlite3_changes(db) > 0
    }

    private func writeDeadLetter(_ letter: DeadLetter) throws {
        try withUnsafeBytes(of: letter.messageID.uuid.uuid) { try bind(insertDeadLetter, 1, blob: $0) }
        try bind(insertDeadLetter, 2, int: letter.at.microseconds)
        try bind(insertDeadLetter, 3, text: letter.reason)
        try bind(insertDeadLetter, 4, text: letter.targets.map(\.description).joined(separator: " "))
        if let json = letter.json { try json.withUnsafeBytes { try bind(insertDeadLetter, 5, blob: $0) } } else { try bindNull(insertDeadLetter, 5) }
        try step(insertDeadLetter)
    }

    /// Binds one message row and steps; true when a row was inserted.
    private func insertRow(_ statement: OpaquePointer?, seq: Int64, record: LogRecord) throws -> Bool {
        let envelope = record.envelope
        try bind(statement, 1, int: seq)
        let uuid = envelope.messageID.uuid.uuid
        try withUnsafeBytes(of: uuid) { try bind(statement, 2, blob: $0) }
        try bind(statement, 3, int: envelope.originTS.microseconds)
        if let ack = envelope.ackTS { try bind(statement, 4, int: ack.microseconds) } else { try bindNull(statement, 4) }
        try bind(statement, 5, text: envelope.topic.value)
        try bind(statement, 6, text: envelope.messageType)
        if let source = envelope.sourceSubjectID { try bind(statement, 7, text: source) } else { try bindNull(statement, 7) }
        try bind(statement, 8, text: record.role.rawValue)
        try record.json.withUnsafeBytes { try bind(statement, 9, blob: $0) }
        try step(statement)
        return sqlite_nio_sqlite3_changes(db) > 0
    }

    private func transaction(_ body: () throws -> Void) throws {
        try exec("BEGIN IMMEDIATE")
        do {
            try body()
            try exec("COMMIT")
        } catch {
            // Best effort: if COMMIT itself failed SQLite may already have rolled back.
            _ = sqlite_nio_sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }

    func close() {
        for statement in [insertMessage, insertMessageRaw, insertSubject, insertOutbox, promote, deleteOutbox, insertDeadLetter,
                          insertInbox, insertInboxRow, deleteInbox] {
            sqlite_nio_sqlite3_finalize(statement)
        }
        insertInbox = nil
        insertInboxRow = nil
        deleteInbox = nil
        insertOutbox = nil
        promote = nil
        deleteOutbox = nil
        insertDeadLetter = nil
        insertMessage = nil
        insertMessageRaw = nil
        insertSubject = nil
        sqlite_nio_sqlite3_close_v2(db)
        db = nil
    }

    deinit {
        // The hook points at the slot: the connection goes first.
        if db != nil { close() }
        walFramesSlot.deallocate()
    }

    // MARK: C API helpers: every non-OK result becomes a StoreError naming SQLite's message.

    private func check(_ code: Int32, _ doing: @autoclosure () -> String) throws {
        guard code == SQLITE_OK || code == SQLITE_DONE || code == SQLITE_ROW else {
            let message = String(cString: sqlite_nio_sqlite3_errmsg(db))
            let primary = code & 0xFF
            let kind: StoreError.Code = primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB ? .corrupt : .ioFailure
            throw StoreError(kind, "\(doing()) on \(path): \(message) (SQLite code \(code))")
        }
    }

    private func exec(_ sql: String) throws {
        try check(sqlite_nio_sqlite3_exec(db, sql, nil, nil, nil), sql)
    }

    private func prepare(_ sql: String) throws -> OpaquePointer? {
        var statement: OpaquePointer?
        try check(sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil), "preparing \(sql)")
        return statement
    }

    private func step(_ statement: OpaquePointer?) throws {
        let code = sqlite_nio_sqlite3_step(statement)
        sqlite_nio_sqlite3_reset(statement)
        try check(code, "writing a row")
    }

    private func bind(_ statement: OpaquePointer?, _ index: Int32, int value: Int64) throws {
        try check(sqlite_nio_sqlite3_bind_int64(statement, index, value), "binding")
    }

    private func bind(_ statement: OpaquePointer?, _ index: Int32, text value: String) throws {
        var value = value
        try value.withUTF8 { bytes in
            try check(sqlite_nio_sqlite3_bind_text(statement, index, bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32(bytes.count), Self.transient), "binding")
        }
    }

    private func bind(_ statement: OpaquePointer?, _ index: Int32, blob bytes: UnsafeRawBufferPointer) throws {
        try check(sqlite_nio_sqlite3_bind_blob(statement, index, bytes.baseAddress, Int32(bytes.count), Self.transient), "binding")
    }

    private func bindNull(_ statement: OpaquePointer?, _ index: Int32) throws {
        try check(sqlite_nio_sqlite3_bind_null(statement, index), "binding")
    }

    /// SQLITE_TRANSIENT: SQLite copies the bound bytes, so Swift buffers need not outlive the bind.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
