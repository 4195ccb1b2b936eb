import PlexusCore
import SQLiteNIO

/// Reading the log in the order it was written: `seq` is the rowid, assigned by the one writer in
/// commit order, so a row committed later always has a larger `seq` and a cursor on it never
/// skips one. (Rows are never deleted yet; retention must keep the highest row or use
/// AUTOINCREMENT, or a new row could reuse a number a cursor already passed.)
extension SQLiteMessageStore {
    public func messages(after sequence: Int64, limit: Int) async throws -> [StoredMessage] {
        guard limit > 0 else { return [] }
        return try await withReader(doing: "reading the log after seq \(sequence)") { connection in
            let rows = try await connection.query(
                "SELECT \(Self.storedColumns) FROM messages WHERE seq > ? ORDER BY seq LIMIT ?",
                [.integer(Int(sequence)), .integer(limit)]
            )
            return try rows.map { try Self.storedMessage(from: $0) }
        }
    }

    public func lastSequence() async throws -> Int64 {
        try await withReader(doing: "reading the last seq") { connection in
            let row = try await connection.query("SELECT COALESCE(MAX(seq), 0) AS n FROM messages").first
            return Int64(row?.column("n")?.integer ?? 0)
        }
    }
}
