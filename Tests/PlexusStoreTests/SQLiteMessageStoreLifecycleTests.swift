import Foundation
import PlexusCore
import PlexusStore
import SQLiteNIO
import Testing

@Suite("SQLiteMessageStore lifecycle")
struct SQLiteMessageStoreLifecycleTests {
    @Test(arguments: [true, false])
    func manyMegabytesWithReadersAlongsideSurviveReopen(backgroundCheckpoints: Bool) async throws {
        var factory = RecordFactory()
        let padding = JSONValue.string(String(repeating: "x", count: 600))
        // About 8 MiB of rows: several background checkpoints (or writer checkpoints) happen.
        let calls = try (0..<120).map { call in
            try (0..<100).map { try factory.record(at: Int64(call * 100 + $0), to: ["r\($0 % 3)"], data: padding) }
        }
        try await withTemporaryDirectory { directory in
            let path = directory + "/log.sqlite"
            let options = SQLiteStoreOptions(maxBatchRows: 1_000, backgroundCheckpoints: backgroundCheckpoints)
            let store = try await SQLiteMessageStore.open(path: path, options: options, logger: testLogger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for call in stride(from: worker, to: calls.count, by: 8) {
                            let outcomes = try await store.append(calls[call])
                            #expect(outcomes.allSatisfy { $0 != .duplicate })
                        }
                    }
                }
                group.addTask {
                    // Readers run beside the writer and the checkpoints.
                    for _ in 0..<20 {
                        let page = try await store.query(MessageQuery(subject: "r1", limit: 50))
                        #expect(page.messages.count <= 50)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.count() == 12_000)
            try await store.close()
            // Closing the last connection folds the WAL into the file.
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))

            let reopened = try await SQLiteMessageStore.open(path: path, options: options, logger: testLogger)
            #expect(try await reopened.count() == 12_000)
            let sample = calls[77][42]
            #expect(try await reopened.message(id: sample.envelope.messageID)?.json == sample.json)
            #expect(try await reopened.query(MessageQuery(subject: "r1", limit: 1_000)).messages.count == 1_000)
            try await reopened.close()
        }
    }

    @Test func failedCommitFailsItsCallersAndTheWriterCarriesOn() async throws {
        var factory = RecordFactory()
        let a = try factory.record(at: 1)
        let b = try factory.record(at: 2)
        let c = try factory.record(at: 3)
        let options = SQLiteStoreOptions(busyTimeout: .milliseconds(20))
        try await withStore(options: options) { store, path in
            #expect(try await store.append([a]) == [.stored(seq: 1)])
            // Another process holding the write lock makes the next transaction fail.
            let other = try await SQLiteConnection.open(storage: .file(path: path))
            _ = try await other.query("BEGIN IMMEDIATE")
            do {
                _ = try await store.append([b])
                Issue.record("append must fail while another connection holds the write lock")
            } catch let error as StoreError {
                #expect(error.code == .ioFailure)
            }
            _ = try await other.query("ROLLBACK")
            try await other.close()
            // The seq given to the failed record is reused: no gap.
            #expect(try await store.append([b, c]) == [.stored(seq: 2), .stored(seq: 3)])
            #expect(try await store.count() == 3)
        }
    }

    @Test func schemaIsVersionedAndTunedAtOpen() async throws {
        try await withStore { _, path in
            let connection = try await SQLiteConnection.open(storage: .file(path: path))
            let version = try await connection.query("PRAGMA user_version").first?.column("user_version")?.integer
            let mode = try await connection.query("PRAGMA journal_mode").first?.column("journal_mode")?.string
            let tables = try await connection.query("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name")
                .compactMap { $0.column("name")?.string }
            try await connection.close()
            #expect(version == 4)
            #expect(mode == "wal")
            #expect(tables.contains("inbox"))
            #expect(tables.contains("messages"))
            #expect(tables.contains("outbox"))
            #expect(tables.contains("dead_letters"))
            #expect(tables.contains("message_subjects"))
            #expect(tables.contains("messages_by_time"))
            #expect(tables.contains("messages_by_topic"))
        }
    }

    @Test func refusesAFileFromANewerSchema() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/future.sqlite"
            let connection = try await SQLiteConnection.open(storage: .file(path: path))
            _ = try await connection.query("PRAGMA user_version = 99")
            try await connection.close()
            do {
                let store = try await SQLiteMessageStore.open(path: path, logger: testLogger)
                try await store.close()
                Issue.record("open must refuse schema version 99")
            } catch let error as StoreError {
                #expect(error.code == .migrationFailed)
                #expect(error.message.contains("99"))
            }
        }
    }

    @Test func invalidOptionsAreRefusedByName() async throws {
        try await withTemporaryDirectory { directory in
            do {
                _ = try await SQLiteMessageStore.open(
                    path: directory + "/x.sqlite", options: SQLiteStoreOptions(maxBatchRows: 0), logger: testLogger
                )
                Issue.record("open must refuse maxBatchRows = 0")
            } catch let error as SQLiteStoreOptions.InvalidOption {
                #expect(error.key == "maxBatchRows")
            }
            #expect(throws: SQLiteStoreOptions.InvalidOption.self) {
                try SQLiteStoreOptions(readConnections: 0).validate()
            }
        }
    }

    @Test func rawInsertBenchmarkWritesTheSameRows() async throws {
        var factory = RecordFactory()
        let records = try (0..<500).map { try factory.record(at: Int64($0), to: ["bob"]) }
        try await withTemporaryDirectory { directory in
            let path = directory + "/raw.sqlite"
            let rate = try await SQLiteRawInsertBenchmark.run(path: path, rows: records, batchSize: 100, logger: testLogger)
            #expect(rate > 0)
            // The rows are real log rows: the store opens the file and reads them back.
            let store = try await SQLiteMessageStore.open(path: path, logger: testLogger)
            #expect(try await store.count() == 500)
            #expect(try await store.message(id: records[42].envelope.messageID)?.json == records[42].json)
            #expect(try await store.append([records[0]]) == [.duplicate])
            try await store.close()
        }
    }
}

func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
