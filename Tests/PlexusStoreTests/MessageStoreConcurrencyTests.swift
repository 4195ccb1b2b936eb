import PlexusCore
import PlexusStore
import PostgresNIO
import Synchronization
import Testing

/// Many appenders at once, with overlapping messages and small batches, so that consecutive group
/// commits overlap (the PostgreSQL writer writes one batch while the previous one commits).
@Suite("MessageStore under concurrent appends")
struct MessageStoreConcurrencyTests {
    /// 40 callers append overlapping windows of 200 messages (each message by two or three
    /// callers, some as relay and again as destination) while a follower reads the log by seq.
    /// Every message is stored once, the rest are duplicates or promotions; the follower sees
    /// seqs 1...200 without a hole at any moment (commits become visible in seq order), and a
    /// message logged as relay and appended again as destination ends as destination.
    @Test(arguments: StoreKind.allCases) func overlappingAppendsAreStoredOnceAndVisibleInOrder(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let records = try (0..<200).map { try factory.record(at: Int64($0), to: ["bob"], role: .relay) }
        try await withStore(kind, maxBatchRows: 20) { store, _ in
            let follower = Follower(store)
            let outcomes = try await withThrowingTaskGroup(of: [(MessageID, AppendOutcome)].self) { group in
                for caller in 0..<40 {
                    group.addTask {
                        let window = (0..<10).map { records[(caller * 5 + $0) % records.count] }
                        let appended = caller % 4 == 0 ? window.map { record -> LogRecord in
                            var destination = record
                            destination.role = .destination
                            destination.inbox = ["bob"]
                            return destination
                        } : window
                        let outcomes = try await store.append(appended)
                        return zip(appended.map(\.envelope.messageID), outcomes).map { ($0, $1) }
                    }
                }
                var all: [(MessageID, AppendOutcome)] = []
                for try await part in group { all += part }
                return all
            }
            let seen = try await follower.stop()
            #expect(seen == Array(1...200))
            let stored = outcomes.filter { $0.1.seq != nil }
            #expect(stored.count == 200)
            #expect(Set(stored.map(\.0)).count == 200)
            #expect(try await store.count() == 200)
            // Windows of callers 0, 4, 8, ... were appended as destination: those messages end
            // as destination whichever append came first.
            let promoted = Set((0..<40).filter { $0 % 4 == 0 }.flatMap { caller in
                (0..<10).map { records[(caller * 5 + $0) % records.count].envelope.messageID }
            })
            for record in records {
                let role = try await store.message(id: record.envelope.messageID)?.role
                #expect(role == (promoted.contains(record.envelope.messageID) ? .destination : .relay))
            }
            let inbox = Set(try await store.inbox().map(\.messageID))
            #expect(inbox == promoted)
        }
    }

    /// PostgreSQL writes the next batch while the previous one commits. Here the COMMIT of the
    /// transaction holding seq 30 is made slow (a deferred trigger sleeps half a second at
    /// commit) while 40 callers append distinct messages: the batches written meanwhile must
    /// not become visible before it, or a follower reading by seq would see a hole and skip
    /// seq 30's batch for good.
    @Test func commitsBecomeVisibleInSeqOrder() async throws {
        var factory = RecordFactory()
        let records = try (0..<400).map { try factory.record(at: Int64($0)) }
        try await withStore(.postgres, maxBatchRows: 20) { store, location in
            try await withConnection(location) { connection in
                try await connection.query("""
                    CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN IF NEW.seq = 30 THEN PERFORM pg_sleep(0.5); END IF; RETURN NULL; END $$
                    """, logger: testLogger)
                try await connection.query("""
                    CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON plexus_log
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()
                    """, logger: testLogger)
            }
            let follower = Follower(store)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<40 {
                    group.addTask {
                        let outcomes = try await store.append(Array(records[(caller * 10)..<(caller * 10 + 10)]))
                        #expect(outcomes.allSatisfy { $0.seq != nil })
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await follower.stop() == Array(1...400))
        }
    }
}

/// Reads the log by seq as an edge egress does, every 2 ms, and records an issue when a page
/// does not start right after what it saw (a hole: a later commit visible before an earlier).
final class Follower: Sendable {
    private final class Flag: Sendable { let raised = Atomic<Bool>(false) }
    private let done = Flag()
    private let task: Task<[Int64], any Error>

    init(_ store: any MessageStore) {
        let done = done
        task = Task {
            var seen: [Int64] = []
            while true {
                let finished = done.raised.load(ordering: .acquiring)
                let page = try await store.messages(after: seen.last ?? 0, limit: 1_000)
                if let first = page.first?.seq, first != (seen.last ?? 0) + 1 {
                    Issue.record("the follower saw seq \(first) after \(seen.last ?? 0)")
                }
                seen += page.map(\.seq)
                if finished && page.isEmpty { return seen }
                try await Task.sleep(for: .milliseconds(2))
            }
        }
    }

    /// Stops after one more read that finds nothing new; returns every seq seen, in order.
    func stop() async throws -> [Int64] {
        done.raised.store(true, ordering: .releasing)
        return try await task.value
    }
}
