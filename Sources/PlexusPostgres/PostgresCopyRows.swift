import NIOCore
import PlexusCore
import PlexusStore

/// The rows of one group commit in PostgreSQL's COPY text format (pure: bytes in, bytes out).
///
/// Text format: one line per row, columns separated by tabs, `\N` for NULL, and backslash, tab,
/// newline and carriage return escaped with a backslash. Arrays are array literals
/// (`{"a","b"}`) inside that. Binary COPY would skip the escaping but needs every value in
/// PostgreSQL's internal form (jsonb version byte, array headers, timestamps since 2000); the
/// escaping is one pass over bytes already in cache.
enum PostgresCopyRows {
    /// A record's rows, encoded when it is appended, on the caller's task: everything but what
    /// the writer decides at commit time (the seq and the role), which are the first columns so
    /// the writer only prefixes them. Why: the writer is serial and PostgreSQL waits while it
    /// encodes; encoded by the appending callers, in parallel and while the previous batch is
    /// in PostgreSQL, a batch costs the writer a copy of bytes per row. (On a mesh node the
    /// forwarder appends from the mesh driver's loop, so its batches are encoded there, one at
    /// a time — still off the writer's path, which is what bounds the log.)
    struct Prepared: Sendable {
        var record: LogRecord
        /// `message_exchange` after seq and role: from the tab before message_uuid through the
        /// row's newline.
        var message: [UInt8]
        /// `plexus_log` after seq and role.
        var log: [UInt8]
        /// One `message_subjects` row per distinct subject, after seq.
        var subjects: [[UInt8]]
        /// Why PostgreSQL cannot hold the record, or nil (`refusal(of:)`).
        var refusal: String?

        init(_ record: LogRecord) {
            self.record = record
            refusal = PostgresCopyRows.refusal(of: record)
            let envelope = record.envelope
            let id = envelope.messageID.description
            let ts = envelope.originTS.rfc3339
            var out = CopyText(capacity: record.json.count * 2 + 160, continuing: true)
            out.field(id)
            out.field(ts)
            out.field(envelope.ackTS?.rfc3339)
            out.field(envelope.topic.value)
            out.field(envelope.messageType)
            out.field(envelope.sourceSubjectID)
            out.field(arrayLiteral(envelope.destinationSubjectIDs))
            var scratch: [UInt8] = []
            scratch.reserveCapacity(record.json.count)
            JSONWriter.write(envelope.messageData, into: &scratch)
            out.field(bytes: scratch)
            scratch.removeAll(keepingCapacity: true)
            JSONWriter.write(.object(envelope.messageMetadata), into: &scratch)
            out.field(bytes: scratch)
            scratch.removeAll(keepingCapacity: true)
            JSONWriter.write(.array(envelope.hops.map(\.json)), into: &scratch)
            out.field(bytes: scratch)
            out.field(bytes: record.json)
            out.endRow()
            message = out.bytes
            var log = CopyText(capacity: 64, continuing: true)
            log.field(id)
            log.field(ts)
            log.endRow()
            self.log = log.bytes
            subjects = envelope.distinctSubjects.map { subject in
                var row = CopyText(capacity: subject.utf8.count + 40, continuing: true)
                row.field(subject)
                row.field(ts)
                row.endRow()
                return row.bytes
            }
        }
    }

    /// A record's rows with the log sequence number and role the writer gave it. Only the
    /// encoded bytes, not the record: the writer copies rows around, and a record is some
    /// twenty reference-counted fields (retain/release was most of the writer thread's time).
    struct Row: Sendable {
        var seq: Int64
        var role: LogRole
        var message: [UInt8]
        var log: [UInt8]
        var subjects: [[UInt8]]

        init(seq: Int64, prepared: Prepared) {
            self.seq = seq
            self.role = prepared.record.role
            message = prepared.message
            log = prepared.log
            subjects = prepared.subjects
        }
    }

    static let messageColumns = [
        "seq", "node_role", "message_uuid", "origin_ts", "ack_ts", "topic", "message_type", "source_subject_id",
        "destination_subject_ids", "message_data", "message_metadata", "hops", "envelope",
    ]
    static let subjectColumns = ["seq", "subject_id", "origin_ts"]
    static let logColumns = ["seq", "node_role", "message_uuid", "origin_ts"]

    static func messages(_ rows: [Row]) -> ByteBuffer { prefixed(rows, \.message) }

    static func log(_ rows: [Row]) -> ByteBuffer { prefixed(rows, \.log) }

    /// seq and role (the columns the writer decides), then the prepared rest of each row.
    private static func prefixed(_ rows: [Row], _ tail: KeyPath<Row, [UInt8]>) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(rows.reduce(0) { $0 + $1[keyPath: tail].count + 32 })
        for index in rows.indices {
            out.writeString(String(rows[index].seq))
            out.writeInteger(UInt8(ascii: "\t"))
            out.writeString(rows[index].role.rawValue)
            out.writeBytes(rows[index][keyPath: tail])
        }
        return out
    }

    static func subjects(_ rows: [Row]) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(rows.reduce(0) { $0 + $1.subjects.reduce(0) { $0 + $1.count + 20 } })
        for index in rows.indices {
            for subject in rows[index].subjects {
                out.writeString(String(rows[index].seq))
                out.writeBytes(subject)
            }
        }
        return out
    }

    /// An array literal of strings, every element quoted (so empty strings, commas, braces and
    /// the word NULL are plain text), `"` and `\` escaped inside the quotes.
    static func arrayLiteral(_ elements: [String]) -> String {
        var literal = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { literal += "," }
            literal += "\""
            for character in element.unicodeScalars {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        return literal + "}"
    }

    /// Why PostgreSQL cannot hold this record, or nil. It refuses U+0000 in text and jsonb (and
    /// lone surrogates, which Plexus's JSON parser already refuses at the door). The record's
    /// wire JSON holds every string of the envelope, so one scan of it finds a NUL wherever it
    /// is: as the escape `\u0000`, with the backslash itself not escaped.
    static func refusal(of record: LogRecord) -> String? {
        let json = record.json
        var i = 0
        var backslashes = 0
        while i < json.count {
            let byte = json[i]
            if byte == UInt8(ascii: "\\") {
                backslashes += 1
                i += 1
                continue
            }
            if byte == UInt8(ascii: "u"), backslashes % 2 == 1, i + 4 < json.count,
               json[i + 1] == UInt8(ascii: "0"), json[i + 2] == UInt8(ascii: "0"),
               json[i + 3] == UInt8(ascii: "0"), json[i + 4] == UInt8(ascii: "0") {
                return "the message contains the character U+0000 (\\u0000), which PostgreSQL cannot store in text or jsonb"
            }
            backslashes = 0
            i += 1
        }
        return nil
    }
}

/// COPY text being built: fields of the current row, escaped.
struct CopyText {
    private(set) var bytes: [UInt8] = []
    private var rowStarted = false

    /// `continuing`: the row already has fields (written by someone else), so the first field
    /// here starts with a tab.
    init(capacity: Int, continuing: Bool = false) {
        bytes.reserveCapacity(capacity)
        rowStarted = continuing
    }

    private mutating func separate() {
        if rowStarted { bytes.append(UInt8(ascii: "\t")) }
        rowStarted = true
    }

    mutating func field(_ value: String?) {
        guard let value else {
            separate()
            bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
            return
        }
        var text = value
        text.withUTF8 { field(bytes: $0) }
    }

    mutating func field(bytes value: some Collection<UInt8>) {
        separate()
        // Most values need no escaping: one scan, then one bulk append.
        guard value.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else {
            bytes.append(contentsOf: value)
            return
        }
        escape(value)
    }

    private mutating func escape(_ value: some Collection<UInt8>) {
        for byte in value {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            default: bytes.append(byte)
            }
        }
    }

    mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        rowStarted = false
    }
}
