import PlexusCore
import PlexusStore
import Testing

@Suite("MessageStore appends")
/// One suite, two stores: every test runs against SQLite and PostgreSQL.
struct MessageStoreAppendTests {
    @Test(arguments: StoreKind.allCases) func appendedRecordsReadBackByteForByte(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let records = [
            try factory.record(at: 1, to: ["bob"], data: ["n": 1, "s": "ünïcødé", "a": [true, nil, 2.5]]),
            try factory.record(at: 2, topic: "a.b.c", from: nil, role: .relay),
            try factory.record(at: 3, role: .destination),
        ]
        try await withStore(kind) { store, _ in
            let outcomes = try await store.append(records)
            #expect(outcomes == [.stored(seq: 1), .stored(seq: 2), .stored(seq: 3)])
            for (record, outcome) in zip(records, outcomes) {
                let stored = try #require(try await store.message(id: record.envelope.messageID))
                #expect(stored.json == record.json)
                #expect(stored.seq == outcome.seq)
                #expect(stored.messageID == record.envelope.messageID)
                #expect(stored.originTS == record.envelope.originTS)
                #expect(stored.role == record.role)
            }
            let unknown = try factory.record(at: 9).envelope.messageID
            #expect(try await store.message(id: unknown) == nil)
            #expect(try await store.count() == 3)
        }
    }

    @Test(arguments: StoreKind.allCases) func emptyAppendStoresNothing(kind: StoreKind) async throws {
        let (outcomes, count) = try await withStore(kind) { store, _ in
            (try await store.append([]), try await store.count())
        }
        #expect(outcomes == [])
        #expect(count == 0)
    }

    @Test(arguments: StoreKind.allCases) func duplicatesWithinAndAcrossCallsAreStoredOnce(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let a = try factory.record(at: 1)
        let b = try factory.record(at: 2)
        let c = try factory.record(at: 3)
        try await withStore(kind) { store, _ in
            let first = try await store.append([a, b, a])
            #expect(first == [.stored(seq: 1), .stored(seq: 2), .duplicate])
            let second = try await store.append([b, c, c, a])
            #expect(second == [.duplicate, .stored(seq: 3), .duplicate, .duplicate])
            #expect(try await store.count() == 3)
            // A duplicate with a different body does not overwrite the logged one.
            var changed = a
            changed.json = Array("{\"other\":true}".utf8)
            #expect(try await store.append([changed]) == [.duplicate])
            #expect(try await store.message(id: a.envelope.messageID)?.json == a.json)
        }
    }

    @Test(arguments: StoreKind.allCases) func concurrentAppendersAreAllStoredWithUniqueSeqs(kind: StoreKind) async throws {
        var factory = RecordFactory()
        var calls: [[LogRecord]] = []
        for caller in 0..<50 {
            var records: [LogRecord] = []
            for index in 0..<100 {
                records.append(try factory.record(at: Int64(caller * 100 + index), to: ["r\(caller % 7)"]))
            }
            calls.append(records)
        }
        // Small batches, so the 50 callers are spread over several group commits.
        try await withStore(kind, maxBatchRows: 700) { store, _ in
            let results = try await withThrowingTaskGroup(of: [AppendOutcome].self) { group in
                for records in calls {
                    group.addTask { try await store.append(records) }
                }
                var all: [[AppendOutcome]] = []
                for try await outcomes in group { all.append(outcomes) }
                return all
            }
            #expect(results.count == 50)
            var seqs: Set<Int64> = []
            for outcomes in results {
                let callSeqs = outcomes.compactMap(\.seq)
                #expect(callSeqs.count == 100)
                // One call commits in one transaction, its records in order.
                #expect(callSeqs == callSeqs.sorted())
                #expect(callSeqs.last! - callSeqs.first! == 99)
                seqs.formUnion(callSeqs)
            }
            #expect(seqs.count == 5_000)
            #expect(seqs.min() == 1 && seqs.max() == 5_000)
            #expect(try await store.count() == 5_000)
            for records in calls {
                let sample = records[records.count / 2]
                #expect(try await store.message(id: sample.envelope.messageID)?.json == sample.json)
            }
        }
    }

    @Test(arguments: StoreKind.allCases) func concurrentDuplicateAppendsStoreEachMessageOnce(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let records = try (0..<20).map { try factory.record(at: Int64($0)) }
        try await withStore(kind) { store, _ in
            let results = try await withThrowingTaskGroup(of: [AppendOutcome].self) { group in
                for _ in 0..<10 {
                    group.addTask { try await store.append(records) }
                }
                var all: [[AppendOutcome]] = []
                for try await outcomes in group { all.append(outcomes) }
                return all
            }
            for index in records.indices {
                let stored = results.filter { $0[index] != .duplicate }
                #expect(stored.count == 1)
            }
            #expect(try await store.count() == 20)
        }
    }

    @Test(arguments: StoreKind.allCases) func oneCallLargerThanABatchCommitsWhole(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let records = try (0..<250).map { try factory.record(at: Int64($0), to: ["x", "y"]) }
        try await withStore(kind, maxBatchRows: 50) { store, _ in
            let outcomes = try await store.append(records)
            #expect(outcomes.compactMap(\.seq) == Array(1...250))
            #expect(try await store.count() == 250)
        }
    }
}
