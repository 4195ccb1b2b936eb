import Foundation
import Logging
import PlexusCore
import PlexusStore
import PlexusPostgres
import PlexusTestSupport
import Testing

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
    // PLEXUS_TEST_LOG=debug shows everything when a test needs looking into.
    logger.logLevel = ProcessInfo.processInfo.environment["PLEXUS_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
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

/// The two `MessageStore` implementations every behaviour test runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// Where a test's store lives, so the test can open it again (a restart).
struct StoreLocation: Sendable {
    var kind: StoreKind
    var sqlitePath: String
    var postgres: PostgresStoreConfiguration

    func open(maxBatchRows: Int? = nil) async throws -> any MessageStore {
        switch kind {
        case .sqlite:
            var options = SQLiteStoreOptions()
            if let maxBatchRows { options.maxBatchRows = maxBatchRows }
            return try await SQLiteMessageStore.open(path: sqlitePath, options: options, logger: testLogger)
        case .postgres:
            var configuration = postgres
            if let maxBatchRows { configuration.maxBatchRows = maxBatchRows }
            return try await PostgresMessageStore.open(configuration: configuration, logger: testLogger)
        }
    }
}

/// A fresh store of `kind` (a new SQLite file, or a new schema in the test PostgreSQL server),
/// closed after `body`.
func withStore<T>(
    _ kind: StoreKind, maxBatchRows: Int? = nil, _ body: (any MessageStore, StoreLocation) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        let url = kind == .postgres ? try await PostgresServer.shared().url : "postgres://unused@127.0.0.1/unused"
        let location = StoreLocation(
            kind: kind, sqlitePath: directory + "/nested/log.sqlite",  // open creates the directory
            postgres: PostgresStoreConfiguration(url: url, schema: freshSchemaName(), partitioning: .native)
        )
        let store = try await location.open(maxBatchRows: maxBatchRows)
        do {
            let result = try await body(store, location)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}

/// A schema name no other test uses.
func freshSchemaName() -> String {
    "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
}
