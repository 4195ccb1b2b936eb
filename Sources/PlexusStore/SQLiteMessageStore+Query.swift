import PlexusCore
import SQLiteNIO

/// Newest-first queries over the log.
///
/// Order is (origin_ts DESC, seq DESC) and a cursor means "strictly older than (origin_ts, seq)",
/// so pages never overlap or skip rows, even while new messages arrive. The cursor is a row-value
/// comparison, which SQLite turns into an index range: page N costs the same as page 1.
extension SQLiteMessageStore {
    static let storedColumns = "seq, message_uuid, origin_ts, role, topic, body"

    public func query(_ query: MessageQuery) async throws -> MessagePage {
        guard query.limit > 0 else { return MessagePage(messages: [], nextCursor: nil) }
        let plan = QueryPlan(query)
        // One row more than asked tells whether another page exists, so the last page has no cursor.
        let wanted = query.limit + 1
        // A wildcard topic is checked exactly in Swift after SQL narrowed it with GLOB, so a SQL
        // page may hold a few rows that do not match; read a little more then.
        let pageSize = plan.filter == nil ? wanted : wanted + wanted / 4 + 8

        return try await withReader(doing: "querying messages") { connection in
            var found: [StoredMessage] = []
            var position = query.cursor
            var scanned = 0
            var cutShort = false
            while found.count < wanted {
                let rows = try await connection.query(plan.sql(after: position), plan.binds(after: position, limit: pageSize))
                for row in rows {
                    // Every row read moves the position, matched or not, so the next SQL page
                    // starts after it.
                    guard let seq = row.column("seq")?.integer, let ts = row.column("origin_ts")?.integer else {
                        throw StoreError(.corrupt, "a row of the messages table has no seq or origin_ts: \(row)")
                    }
                    position = QueryCursor(originTS: Timestamp(microseconds: Int64(ts)), seq: Int64(seq))
                    if let filter = plan.filter, !filter.matches(row.column("topic")?.string ?? "") { continue }
                    found.append(try Self.storedMessage(from: row))
                    if found.count == wanted { break }
                }
                if rows.count < pageSize { break }
                scanned += rows.count
                if scanned >= options.maxRowsScannedPerQuery, found.count < wanted {
                    // Bounded work per request: hand back what matched so far and a cursor at
                    // the last row read, so the client continues where the scan stopped.
                    cutShort = true
                    break
                }
            }
            if cutShort {
                return MessagePage(messages: found, nextCursor: position)
            }
            var nextCursor: QueryCursor?
            if found.count > query.limit {
                found.removeLast(found.count - query.limit)
                nextCursor = found.last.map { QueryCursor(originTS: $0.originTS, seq: $0.seq) }
            }
            return MessagePage(messages: found, nextCursor: nextCursor)
        }
    }

    static func storedMessage(from row: SQLiteRow) throws -> StoredMessage {
        guard let seq = row.column("seq")?.integer,
              let id = row.column("message_uuid").flatMap(SQLiteMessageSQL.messageID(from:)),
              let originTS = row.column("origin_ts")?.integer,
              let role = row.column("role")?.string.flatMap(LogRole.init(rawValue:)),
              case .blob(let body)? = row.column("body")
        else {
            throw StoreError(.corrupt, "a row of the messages table has a missing or malformed column: \(row)")
        }
        return StoredMessage(
            seq: Int64(seq),
            messageID: id,
            originTS: Timestamp(microseconds: Int64(originTS)),
            role: role,
            json: Array(body.readableBytesView),
            topic: row.column("topic")?.string ?? ""
        )
    }

    /// The SQL for one query, minus the cursor and page size that change from page to page.
    struct QueryPlan {
        /// `FROM ... WHERE` conditions, without the cursor.
        private var from: String
        private var conditions: [String] = []
        private var binds: [SQLiteData] = []
        /// The columns that order and page the result (the subject table's, when driven from it).
        private var timeColumn: String
        private var seqColumn: String
        /// The exact wildcard check, when SQL could only narrow with GLOB.
        var filter: TopicPattern?

        init(_ query: MessageQuery) {
            if let subject = query.subject {
                // Driven from the subject index: its primary key (subject_id, origin_ts, seq) yields
                // this subject's messages already in page order; each joins to its row by rowid.
                from = "message_subjects s JOIN messages m ON m.seq = s.seq"
                timeColumn = "s.origin_ts"
                seqColumn = "s.seq"
                conditions.append("s.subject_id = ?")
                binds.append(.text(subject))
            } else {
                from = "messages m"
                timeColumn = "m.origin_ts"
                seqColumn = "m.seq"
            }
            if let pattern = query.topic {
                if pattern.isLiteral {
                    conditions.append("m.topic = ?")
                    binds.append(.text(pattern.value))
                } else {
                    // GLOB narrows in SQL to a superset of the NATS matches (its `*` also spans
                    // dots), so rows that cannot match never leave SQLite; `filter` is the exact
                    // check in Swift.
                    conditions.append("m.topic GLOB ?")
                    binds.append(.text(Self.globSuperset(of: pattern)))
                    filter = pattern
                    if query.subject == nil {
                        // Walk time order and stop after one page. Left alone, the planner takes
                        // the topic index for the pattern's prefix and then sorts every row under
                        // that prefix for each page: fine for a rare prefix, ruinous for `agents.>`
                        // over millions of rows. The time walk costs rows scanned per match
                        // instead, which stays small for the common "recent messages on a
                        // pattern" query.
                        from = "messages m INDEXED BY messages_by_time"
                    }
                }
            }
            if let since = query.since {
                conditions.append("\(timeColumn) >= ?")
                binds.append(.integer(Int(since.microseconds)))
            }
            if let until = query.until {
                conditions.append("\(timeColumn) < ?")
                binds.append(.integer(Int(until.microseconds)))
            }
        }

        /// A GLOB pattern matching every topic the NATS pattern matches (and possibly more):
        /// `*` and `>` become GLOB's `*`; GLOB's own special characters in literal tokens are
        /// bracketed so they match themselves.
        static func globSuperset(of pattern: TopicPattern) -> String {
            var glob = ""
            for (index, token) in pattern.value.split(separator: ".", omittingEmptySubsequences: false).enumerated() {
                if index > 0 { glob += "." }
                if token == "*" || token == ">" {
                    glob += "*"
                    continue
                }
                for character in token {
                    switch character {
                    case "*", "?", "[": glob += "[\(character)]"
                    default: glob.append(character)
                    }
                }
            }
            return glob
        }

        func sql(after cursor: QueryCursor?) -> String {
            var all = conditions
            if cursor != nil { all.append("(\(timeColumn), \(seqColumn)) < (?, ?)") }
            let whereClause = all.isEmpty ? "" : " WHERE " + all.joined(separator: " AND ")
            return """
                SELECT m.seq AS seq, m.message_uuid AS message_uuid, m.origin_ts AS origin_ts, m.role AS role, \
                m.topic AS topic, m.body AS body FROM \(from)\(whereClause) \
                ORDER BY \(timeColumn) DESC, \(seqColumn) DESC LIMIT ?
                """
        }

        func binds(after cursor: QueryCursor?, limit: Int) -> [SQLiteData] {
            var all = binds
            if let cursor {
                all.append(.integer(Int(cursor.originTS.microseconds)))
                all.append(.integer(Int(cursor.seq)))
            }
            all.append(.integer(limit))
            return all
        }
    }
}
