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
        // A wildcard topic is checked in Swift after SQL narrowed it by prefix, so a SQL page may
        // hold rows that do not match; read bigger pages then.
        let pageSize = plan.filter == nil ? wanted : min(max(wanted * 2, 256), 2_000)

        return try await withReader(doing: "querying messages") { connection in
            var found: [StoredMessage] = []
            var position = query.cursor
            while found.count < wanted {
                let rows = try await connection.query(plan.sql(after: position), plan.binds(after: position, limit: pageSize))
                for row in rows {
                    let message = try Self.storedMessage(from: row)
                    position = QueryCursor(originTS: message.originTS, seq: message.seq)
                    if let filter = plan.filter {
                        guard let topic = row.column("topic")?.string, filter.matches(topic) else { continue }
                    }
                    found.append(message)
                    if found.count == wanted { break }
                }
                if rows.count < pageSize { break }
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
            json: Array(body.readableBytesView)
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
        /// The exact wildcard check, when SQL could only narrow by prefix.
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
                    let prefix = pattern.literalPrefix
                    if !prefix.isEmpty {
                        // Every topic matching `prefix.<wildcard>` sorts in [prefix + ".", prefix + "/"):
                        // '/' is the byte after '.'.
                        conditions.append("m.topic >= ? AND m.topic < ?")
                        binds.append(.text(prefix + "."))
                        binds.append(.text(prefix + "/"))
                    }
                    filter = pattern
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
