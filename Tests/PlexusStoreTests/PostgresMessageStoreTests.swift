import Foundation
import Logging
import PlexusCore
import PlexusPostgres
import PlexusStore
import PlexusTestSupport
import PostgresNIO
import Synchronization
import Testing

/// What only the PostgreSQL log does: refused values (RELIABILITY F10), the layout (partitions,
/// retention, migrations, one writer per schema). Outages are in PostgresOutageTests.
@Suite("PostgresMessageStore")
struct PostgresMessageStoreTests {
    /// F10: one message of a batch of 1,000 holds U+0000, which jsonb and text refuse. The other
    /// 999 are stored, the bad one comes back refused and is dead-lettered with the reason, and
    /// the writer carries on.
    @Test func aRefusedValueIsDeadLetteredAndTheBatchCommits() async throws {
        var factory = RecordFactory()
        var records = try (0..<1_000).map { try factory.record(at: Int64($0), data: ["n": .integer(Int64($0))]) }
        records[417] = try factory.record(at: 417, data: ["text": "before\u{0}after"])
        // A backslash followed by "u0000" is not a NUL: stored as is.
        records[418] = try factory.record(at: 418, data: ["text": "a \\u0000 b"])
        try await withStore(.postgres) { store, _ in
            let outcomes = try await store.append(records)
            #expect(outcomes.filter(\.isNewlyLogged).count == 999)
            guard case .refused(let reason) = outcomes[417] else {
                Issue.record("expected refused, got \(outcomes[417])")
                return
            }
            #expect(reason.contains("U+0000"))
            #expect(try await store.count() == 999)
            #expect(try await store.message(id: records[417].envelope.messageID) == nil)
            #expect(try await store.message(id: records[418].envelope.messageID)?.json == records[418].json)
            let letters = try await store.deadLetters(limit: 10)
            #expect(letters.map(\.messageID) == [records[417].envelope.messageID])
            #expect(letters.first?.json == records[417].json)
            // The writer goes on.
            let next = try factory.record(at: 2_000)
            #expect(try await store.append([next]).first?.isNewlyLogged == true)
        }
    }

    /// A value the up-front check does not know (here a CHECK constraint the test adds that casts
    /// a field to int): the server refuses the batch, the writer retries it message by message
    /// and dead-letters only the one the server refuses, with the server's reason.
    @Test func aBatchTheServerRefusesIsRetriedMessageByMessage() async throws {
        var factory = RecordFactory()
        var records = try (0..<50).map { try factory.record(at: Int64($0), data: ["n": .integer(Int64($0))]) }
        records[20] = try factory.record(at: 20, data: ["n": "not a number"])
        try await withStore(.postgres) { store, location in
            try await withConnection(location) { connection in
                try await connection.query("ALTER TABLE message_exchange ADD CONSTRAINT n_is_int CHECK ((message_data->>'n')::int >= 0)", logger: testLogger)
            }
            let outcomes = try await store.append(records)
            #expect(outcomes.filter(\.isNewlyLogged).count == 49)
            guard case .refused(let reason) = outcomes[20] else {
                Issue.record("expected refused, got \(outcomes[20])")
                return
            }
            #expect(reason.contains("invalid input syntax"))
            #expect(try await store.count() == 49)
            #expect(try await store.deadLetters(limit: 5).map(\.messageID) == [records[20].envelope.messageID])
            // Seqs stay dense in commit order.
            #expect(try await store.messages(after: 0, limit: 100).map(\.seq) == Array(1...49))
        }
    }

    /// A COMMIT the server refuses (here a deferred trigger raises for one message) fails the
    /// callers of that batch with the server's reason, not as an outage: the store stays
    /// healthy, keeps its connections, and the next appends commit.
    @Test func aCommitTheServerRefusesFailsItsCallersAndTheWriterGoesOn() async throws {
        var factory = RecordFactory()
        let refused = try factory.record(at: 1)
        let later = try (2..<12).map { try factory.record(at: Int64($0)) }
        try await withStore(.postgres) { store, location in
            try await withConnection(location) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: """
                    CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN IF NEW.message_uuid = '\(refused.envelope.messageID)' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NULL; END $$
                    """), logger: testLogger)
                try await connection.query("""
                    CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON plexus_log
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()
                    """, logger: testLogger)
            }
            do {
                _ = try await store.append([refused])
                Issue.record("the append of a message whose COMMIT the server refuses must fail")
            } catch let error as StoreError {
                #expect(error.code == .ioFailure)
                #expect(error.description.contains("refused by the test"))
                #expect(!error.description.contains("unreachable"))
            }
            let postgres = try #require(store as? PostgresMessageStore)
            #expect(!postgres.health.degraded)
            for record in later {
                #expect(try await store.append([record]).first?.seq != nil)
            }
            #expect(try await store.count() == 10)
            #expect(try await store.message(id: refused.envelope.messageID) == nil)
            #expect(!postgres.health.degraded)
        }
    }

    /// The writer writes a batch while the previous one commits. A batch that meets a logged
    /// message looks the batch's messages up, and that lookup must see the batch in flight:
    /// here the first batch promotes a relay row to destination and commits slowly (a deferred
    /// trigger sleeps on the update), and the second holds an old duplicate and the same
    /// destination record. The promotion is reported once; the second is a duplicate.
    @Test func aDuplicateLookupWaitsForTheBatchInFlight() async throws {
        var factory = RecordFactory()
        let relay = try factory.record(at: 1, to: ["bob"], role: .relay)
        let old = try factory.record(at: 2)
        let destination = {
            var record = relay
            record.role = .destination
            record.inbox = ["bob"]
            return record
        }()
        try await withStore(.postgres) { store, location in
            #expect(try await store.append([relay, old]).allSatisfy { $0.seq != nil })
            try await withConnection(location) { connection in
                try await connection.query("""
                    CREATE FUNCTION slow_promotion() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN PERFORM pg_sleep(0.5); RETURN NULL; END $$
                    """, logger: testLogger)
                try await connection.query("""
                    CREATE CONSTRAINT TRIGGER slow_promotion AFTER UPDATE ON plexus_log
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_promotion()
                    """, logger: testLogger)
            }
            let records = [destination]
            async let first = store.append(records)
            try await Task.sleep(for: .milliseconds(150))
            let second = try await store.append([old, destination])
            let outcomes = try await first + second
            #expect(outcomes.filter { $0 == .promoted }.count == 1)
            #expect(second == [.duplicate, .duplicate])
            #expect(try await store.message(id: relay.envelope.messageID)?.role == .destination)
            #expect(try await store.inbox().map(\.messageID) == [relay.envelope.messageID])
        }
    }

    /// Tabs, newlines, backslashes, quotes, commas and braces in every text column survive COPY's
    /// text format and the array literal; the SQL columns hold the values, not escapes.
    @Test func copyEscapingRoundTrips() async throws {
        var factory = RecordFactory()
        let awkward = "tab\tnew\nline\r\\back\"quote{,}NULL"
        let record = try factory.record(from: awkward, to: [awkward, "", "NULL", "b"], data: ["s": .string(awkward)])
        try await withStore(.postgres) { store, location in
            #expect(try await store.append([record]) == [.stored(seq: 1)])
            #expect(try await store.message(id: record.envelope.messageID)?.json == record.json)
            try await withConnection(location) { connection in
                let rows = try await connection.query(
                    "SELECT source_subject_id, destination_subject_ids, message_data->>'s', envelope FROM message_exchange", logger: testLogger
                ).decode((String, [String], String, String).self)
                var seen = 0
                for try await (source, destinations, data, envelope) in rows {
                    #expect(source == awkward)
                    #expect(destinations == [awkward, "", "NULL", "b"])
                    #expect(data == awkward)
                    #expect(Array(envelope.utf8) == record.json)
                    seen += 1
                }
                #expect(seen == 1)
            }
            #expect(try await store.query(MessageQuery(subject: awkward)).messages.count == 1)
            #expect(try await store.query(MessageQuery(subject: "")).messages.count == 1)
        }
    }

    /// Day partitions exist from yesterday through the days ahead; a row far outside lands in the
    /// default partition and moves into its day's partition when that day is created; the
    /// retention drops whole old days and keeps the highest seq.
    @Test func partitionsAreCreatedAheadAndDroppedByRetention() async throws {
        let server = try await PostgresServer.shared()
        var factory = RecordFactory()
        let base = factory.base  // 2026-01-01
        let clock = TestClock(base)
        var configuration = PostgresStoreConfiguration(url: server.url, schema: freshSchemaName(), partitioning: .native,
                                                       retentionDays: 2, partitionsAhead: 1)
        configuration.maxBatchRows = 100
        let old = try factory.record(at: 0)
        let future = try factory.record(at: 10 * 86_400)  // 2026-01-11: no partition yet
        let store = try await PostgresMessageStore.open(configuration: configuration, logger: testLogger, now: clock.read)
        _ = try await store.append([old, future])
        let location = StoreLocation(kind: .postgres, sqlitePath: "", postgres: configuration)
        let partitions: [String: Int]
        do { partitions = try await withConnection(location) { try await partitionRows($0) } } catch {
            Issue.record("\(String(reflecting: error))")
            throw error
        }
        #expect(partitions["message_exchange_p20251231"] == 0)
        #expect(partitions["message_exchange_p20260101"] == 1)
        #expect(partitions["message_exchange_p20260102"] == 0)
        #expect(partitions["message_exchange_default"] == 1)
        #expect(partitions["message_subjects_p20260101"] == 1)
        try await store.close()

        // Ten days later: the future row's day is created (the row moves in), 2025-12-31 through
        // 2026-01-08 fall out of the two-day retention.
        clock.set(base.adding(microseconds: 10 * 86_400_000_000))
        let reopened = try await PostgresMessageStore.open(configuration: configuration, logger: testLogger, now: clock.read)
        let after = try await withConnection(location) { try await partitionRows($0) }
        #expect(after["message_exchange_p20260111"] == 1)
        #expect(after["message_exchange_default"] == 0)
        #expect(after["message_exchange_p20260101"] == nil)
        #expect(after["message_exchange_p20251231"] == nil)
        #expect(try await reopened.message(id: old.envelope.messageID) == nil)
        #expect(try await reopened.message(id: future.envelope.messageID) != nil)
        #expect(try await reopened.lastSequence() == 2)
        #expect(try await reopened.append([try factory.record(at: 10 * 86_400 + 1)]) == [.stored(seq: 3)])
        try await reopened.close()
    }

    /// One writer per schema: a second store on the same schema is refused by name.
    @Test func aSecondWriterOnTheSameSchemaIsRefused() async throws {
        try await withStore(.postgres) { store, location in
            await #expect(throws: StoreError.self) { _ = try await location.open() }
            do {
                _ = try await location.open()
            } catch let error as StoreError {
                #expect(error.message.contains("another process writes the Plexus log in schema \(location.postgres.schema)"))
            }
            var factory = RecordFactory()
            #expect(try await store.append([try factory.record()]).count == 1)
        }
    }

    /// Migrations are recorded with the layout; `migrate` on a migrated schema changes nothing;
    /// a schema from a newer build is refused.
    @Test func migrationsAreVersionedAndRefuseANewerSchema() async throws {
        let server = try await PostgresServer.shared()
        let configuration = PostgresStoreConfiguration(url: server.url, schema: freshSchemaName(), partitioning: .auto)
        let first = try await PostgresMessageStore.migrate(configuration: configuration, logger: testLogger)
        #expect(first.version == 1)
        #expect(first.layout == "native")  // no timescaledb on the test server
        #expect(try await PostgresMessageStore.migrate(configuration: configuration, logger: testLogger).version == 1)
        let location = StoreLocation(kind: .postgres, sqlitePath: "", postgres: configuration)
        try await withConnection(location) { connection in
            try await connection.query("INSERT INTO plexus_schema_migrations (version, summary, layout) VALUES (99, 'future', 'native')", logger: testLogger)
        }
        await #expect(throws: StoreError.self) {
            _ = try await PostgresMessageStore.migrate(configuration: configuration, logger: testLogger)
        }
        var timescale = configuration
        timescale.schema = freshSchemaName()
        timescale.partitioning = .timescale
        do {
            _ = try await PostgresMessageStore.migrate(configuration: timescale, logger: testLogger)
            Issue.record("timescale without the extension must be refused")
        } catch let error as StoreError {
            #expect(error.message.contains("no timescaledb extension"))
        }
    }

    @Test func badConfigurationIsRefusedByName() async throws {
        let cases: [(PostgresStoreConfiguration, String)] = [
            (PostgresStoreConfiguration(url: "http://x/y"), "is not a postgres://"),
            (PostgresStoreConfiguration(url: "postgres://127.0.0.1/db"), "names no user"),
            (PostgresStoreConfiguration(url: "postgres://u@h/db?sslmode=maybe"), "sslmode=maybe"),
            (PostgresStoreConfiguration(url: "postgres://u@h/db", schema: "Bad-Name"), "schema \"Bad-Name\""),
            (PostgresStoreConfiguration(url: "postgres://u@h/db", retentionDays: 0), "retention_days"),
        ]
        for (configuration, expected) in cases {
            do {
                try configuration.validate()
                Issue.record("\(configuration.url) was accepted")
            } catch {
                #expect(error.description.contains(expected), "\(error.description)")
            }
        }
        #expect(PostgresStoreConfiguration(url: "postgres://u:secret@h/db").redactedURL == "postgres://u:***@h/db")
    }
}

/// A clock the test moves.
final class TestClock: Sendable {
    private let value: Mutex<Timestamp>
    init(_ start: Timestamp) { value = Mutex(start) }
    func set(_ ts: Timestamp) { value.withLock { $0 = ts } }
    @Sendable func read() -> Timestamp { value.withLock { $0 } }
}

/// A direct connection to the store's schema, for checks in SQL.
func withConnection<T: Sendable>(_ location: StoreLocation, _ body: (PostgresConnection) async throws -> T) async throws -> T {
    let connection = try await PostgresConnection.connect(
        configuration: try location.postgres.connectionConfiguration(), id: 0, logger: testLogger)
    do {
        try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \"\(location.postgres.schema)\""), logger: testLogger)
        let result = try await body(connection)
        try await connection.close()
        return result
    } catch {
        try? await connection.close()
        throw error
    }
}

/// Row counts of every partition of the two partitioned tables, by partition name.
func partitionRows(_ connection: PostgresConnection) async throws -> [String: Int] {
    var names: [String] = []
    for try await (name) in try await connection.query("""
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'
        """, logger: testLogger).decode(String.self) { names.append(name) }
    var counts: [String: Int] = [:]
    for name in names {
        for try await (n) in try await connection.query(PostgresQuery(unsafeSQL: "SELECT COUNT(*)::int8 FROM \(name)"), logger: testLogger).decode(Int64.self) {
            counts[name] = Int(n)
        }
    }
    return counts
}
