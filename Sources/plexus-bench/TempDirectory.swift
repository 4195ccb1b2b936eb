import Foundation

/// A fresh directory under the system temp dir for one benchmark's data, removed when the step is
/// done (also on failure, via `defer`), so repeated runs never measure an old file.
struct TempDirectory: Sendable {
    let path: String

    init(_ label: String) throws {
        path = NSTemporaryDirectory() + "plexus-bench-\(label)-" + UUID().uuidString.lowercased().prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
