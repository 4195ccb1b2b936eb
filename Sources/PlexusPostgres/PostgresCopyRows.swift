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
    /// A record with the log sequence number the writer gave it.
    struct Row: Sendable {
        var seq: Int64
        var record: LogRecord
    }

    static let messageColumns = [
        "seq", "message_uuid", "origin_ts", "ack_ts", "topic", "message_type", "source_subject_id",
        "destination_subject_ids", "message_data", "message_metadata", "node_role", "hops", "envelope",
    ]
    static let subjectColumns = ["subject_id", "origin_ts", "seq"]
    static let logColumns = ["seq", "message_uuid", "origin_ts", "node_role"]

    static func messages(_ rows: [Row]) -> ByteBuffer {
        var out = CopyText(capacity: rows.reduce(0) { $0 + $1.record.json.count * 2 + 160 })
        var scratch: [UInt8] = []
        scratch.reserveCapacity(1_024)
        for row in rows {
            let envelope = row.record.envelope
            out.field(row.seq)
            out.field(envelope.messageID.description)
            out.field(envelope.originTS.rfc3339)
            out.field(envelope.ackTS?.rfc3339)
            out.field(envelope.topic.value)
            out.field(envelope.messageType)
            out.field(envelope.sourceSubjectID)
            out.field(arrayLiteral(envelope.destinationSubjectIDs))
            scratch.removeAll(keepingCapacity: true)
            JSONWriter.write(envelope.messageData, into: &scratch)
            out.field(bytes: scratch)
            scratch.removeAll(keepingCapacity: true)
            JSONWriter.write(.object(envelope.messageMetadata), into: &scratch)
            out.field(bytes: scratch)
            out.field(row.record.role.rawValue)
            scratch.removeAll(keepingCapacity: true)
            JSONWriter.write(.array(envelope.hops.map(\.json)), into: &scratch)
            out.field(bytes: scratch)
            out.field(bytes: row.record.json)
            out.endRow()
        }
        return out.buffer
    }

    static func subjects(_ rows: [Row]) -> ByteBuffer {
        var out = CopyText(capacity: rows.count * 64)
        for row in rows {
            let envelope = row.record.envelope
            let ts = envelope.originTS.rfc3339
            for subject in envelope.distinctSubjects {
                out.field(subject)
                out.field(ts)
                out.field(row.seq)
                out.endRow()
            }
        }
        return out.buffer
    }

    static func log(_ rows: [Row]) -> ByteBuffer {
        var out = CopyText(capacity: rows.count * 80)
        for row in rows {
            out.field(row.seq)
            out.field(row.record.envelope.messageID.description)
            out.field(row.record.envelope.originTS.rfc3339)
            out.field(row.record.role.rawValue)
            out.endRow()
        }
        return out.buffer
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

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    private mutating func separate() {
        if rowStarted { bytes.append(UInt8(ascii: "\t")) }
        rowStarted = true
    }

    mutating func field(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
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
