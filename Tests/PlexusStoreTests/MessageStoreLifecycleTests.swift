import Foundation
import PlexusCore
import PlexusStore
import Testing

/// Reopening and closing, for both stores.
@Suite("MessageStore lifecycle")
struct MessageStoreLifecycleTests {
    @Test(arguments: StoreKind.allCases) func reopenKeepsEverythingAndSeqContinues(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let first = try (0..<30).map { try factory.record(at: Int64($0), to: ["bob"]) }
        let later = try factory.record(at: 100, to: ["bob"])
        try await withStore(kind) { store, location in
            let outcomes = try await store.append(first)
            try await store.close()

            let reopened = try await location.open()
            #expect(try await reopened.count() == 30)
            for (record, outcome) in zip(first, outcomes) {
                let stored = try #require(try await reopened.message(id: record.envelope.messageID))
                #expect(stored.json == record.json)
                #expect(stored.seq == outcome.seq)
            }
            #expect(try await reopened.append([first[3], later]) == [.duplicate, .stored(seq: 31)])
            #expect(try await reopened.query(MessageQuery(subject: "bob")).messages.count == 31)
            try await reopened.close()
        }
    }

    @Test(arguments: StoreKind.allCases) func closeDrainsQueuedAppendsThenRefusesMore(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let calls = try (0..<20).map { call in try (0..<50).map { try factory.record(at: Int64(call * 50 + $0)) } }
        let late = try factory.record(at: 5_000)
        try await withStore(kind) { store, location in
            // Appends started before close either commit or fail with `.closed`; none is lost silently.
            let results = await withTaskGroup(of: Result<[AppendOutcome], any Error>.self) { group in
                for records in calls {
                    group.addTask { await outcome { try await store.append(records) } }
                }
                group.addTask {
                    await outcome { try await store.close(); return [] }
                }
                var all: [Result<[AppendOutcome], any Error>] = []
                for await result in group { all.append(result) }
                return all
            }
            var committed = 0
            for result in results {
                switch result {
                case .success(let outcomes): committed += outcomes.count
                case .failure(let error): #expect((error as? StoreError)?.code == .closed)
                }
            }
            do {
                _ = try await store.append([late])
                Issue.record("append after close must throw")
            } catch let error as StoreError {
                #expect(error.code == .closed)
            }
            do {
                _ = try await store.count()
                Issue.record("count after close must throw")
            } catch let error as StoreError {
                #expect(error.code == .closed)
            }
            try await store.close()  // a second close is harmless

            let reopened = try await location.open()
            #expect(try await reopened.count() == committed)
            try await reopened.close()
        }
    }
}
