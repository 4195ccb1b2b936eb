import Foundation
import PlexusCore
import SQLiteNIO

/// Column lists and value conversions shared by the log's writer (`SQLiteBatchWriter`), its reads
/// and `SQLiteRawInsertBenchmark`, so the benchmark's "raw SQLite" figure times the same rows.
enum SQLiteMessageSQL {
    static let messageColumns = "seq, message_uuid, origin_ts, ack_ts, topic, message_type, source_subject_id, role, body"
    static let messageColumnCount = 9

    /// A record about to be written, with the seq the writer assigned it.
    struct NewRow: Sendable {
        var seq: Int64
        var record: LogRecord
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
