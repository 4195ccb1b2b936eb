import Foundation
import Logging
import PlexusCore
import PlexusStore

/// A fresh directory under the system temp dir, removed when `body` ends.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("plexus-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory.path)
}

/// Opens a store in a fresh directory, runs `body`, and closes the store.
func withStore<T>(
    options: SQLiteStoreOptions = SQLiteStoreOptions(),
    _ body: (SQLiteMessageStore, String) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        let path = directory + "/log.sqlite"
        let store = try await SQLiteMessageStore.open(path: path, options: options, logger: testLogger)
        do {
            let result = try await body(store, path)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "plexus.store.tests")
    // Some tests provoke failures on purpose; the store logs those at error level.
    logger.logLevel = .critical
    return logger
}()

/// Builds records with seeded ids; times are chosen by the test, never read from a clock.
struct RecordFactory {
    var rng = SplitMix64(seed: 0x5EED)
    /// 2026-01-01T00:00:00Z.
    let base = Timestamp(microseconds: 1_767_225_600_000_000)

    mutating func record(
        at offsetSeconds: Int64 = 0,
        topic: String = "a.b",
        from sender: String? = "alice",
        to recipients: [String] = [],
        data: JSONValue = "hello",
        role: LogRole = .origin
    ) throws -> LogRecord {
        let ts = base.adding(microseconds: offsetSeconds * 1_000_000)
        let envelope = Envelope(
            messageID: .v7(now: ts, rng: &rng),
            originTS: ts,
            topic: try Topic(topic),
            messageType: "event",
            sourceSubjectID: sender,
            destinationSubjectIDs: recipients,
            messageData: data,
            messageMetadata: ["k": "v"]
        )
        return LogRecord(envelope: envelope, role: role)
    }
}

extension AppendOutcome {
    var seq: Int64? {
        if case .stored(let seq) = self { return seq }
        return nil
    }
}
