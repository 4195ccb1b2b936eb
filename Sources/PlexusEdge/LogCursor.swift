import Foundation

/// How far an egress has published the log: a sequence number in a small file, replaced
/// atomically (write to a temporary file, then rename). It is not fsynced: after a power loss the
/// egress may publish a few messages again, which at-least-once allows and JetStream's
/// `Nats-Msg-Id` de-duplicates.
public struct LogCursor: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The saved position, or nil when the egress never ran here.
    public func load() throws -> Int64? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
              let value = Int64(text), value >= 0
        else { throw EdgeError(.io, "the egress cursor \(path) is not a sequence number; remove it to start from the end of the log") }
        return value
    }

    public func save(_ sequence: Int64) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data("\(sequence)\n".utf8)) else {
            throw EdgeError(.io, "cannot write the egress cursor \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            throw EdgeError(.io, "cannot replace the egress cursor \(path): errno \(errno)")
        }
    }
}
