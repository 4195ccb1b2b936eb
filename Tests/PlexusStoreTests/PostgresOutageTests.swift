import Foundation
import PlexusCore
import PlexusPostgres
import PlexusStore
import PlexusTestSupport
import PostgresNIO
import Synchronization
import Testing

/// What concurrent appenders share with the test.
final class Appenders: Sendable {
    let acknowledged = Mutex<[MessageID]>([])
    let failures = Mutex(0)
    let stop = Atomic<Bool>(false)
}

/// RELIABILITY F2: PostgreSQL goes away during ingest. Each test has a server of its own, which
/// it kills with SIGKILL and starts again on the same port and data.
@Suite("PostgresMessageStore outages", .serialized)
struct PostgresOutageTests {
    /// Appenders keep going while the server is down for 10 s; every append that returned is in
    /// PostgreSQL exactly once after the restart (the spool drained), and the store reported the
    /// outage while it lasted.
    @Test func acknowledgedAppendsSurviveAnOutageOnce() async throws {
        let server = try PostgresServer()
        try await server.start()
        defer { server.stop() }
        try await withTemporaryDirectory { directory in
            var configuration = PostgresStoreConfiguration(url: server.url, schema: "outage", partitioning: .native)
            configuration.spoolPath = directory + "/spool.sqlite"
            configuration.reconnectInterval = .milliseconds(200)
            let store = try await PostgresMessageStore.open(configuration: configuration, logger: testLogger)
            let shared = Appenders()
            let appenders = (0..<4).map { worker in
                Task {
                    var factory = RecordFactory(rng: SplitMix64(seed: UInt64(worker + 1)))
                    var round: Int64 = 0
                    while !shared.stop.load(ordering: .relaxed) {
                        round += 1
                        let records = try (0..<20).map { _ in try factory.record(at: round) }
                        do {
                            let outcomes = try await store.append(records)
                            #expect(outcomes.allSatisfy { $0.isNewlyLogged })
                            shared.acknowledged.withLock { $0 += records.map(\.envelope.messageID) }
                        } catch {
                            shared.failures.withLock { $0 += 1 }
                        }
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
            }
            try await waitUntil("ingest before the outage") { shared.acknowledged.withLock { $0.count } > 500 }
            server.kill9()
            try await waitUntil("the store to notice") { !store.health.reachable }
            let atKill = shared.acknowledged.withLock { $0.count }
            try await Task.sleep(for: .seconds(10))
            #expect(shared.acknowledged.withLock { $0.count } > atKill + 500, "ingest went on into the spool")
            #expect(store.health.spooled > 0)
            try await server.start()
            try await waitUntil("the spool to drain", within: .seconds(60)) {
                store.health.reachable && store.health.spooled == 0
            }
            shared.stop.store(true, ordering: .relaxed)
            for appender in appenders { try await appender.value }
            try await waitUntil("the spool to drain after the last appends", within: .seconds(60)) { !store.health.degraded }

            let ids = shared.acknowledged.withLock { $0 }
            #expect(try await store.count() == ids.count)
            for id in ids.shuffled().prefix(300) { #expect(try await store.message(id: id) != nil) }
            let location = StoreLocation(kind: .postgres, sqlitePath: "", postgres: configuration)
            try await withConnection(location) { connection in
                for try await (rows, distinct, logRows) in try await connection.query(
                    "SELECT COUNT(*)::int8, COUNT(DISTINCT message_uuid)::int8, (SELECT COUNT(*) FROM plexus_log)::int8 FROM message_exchange",
                    logger: testLogger
                ).decode((Int64, Int64, Int64).self) {
                    #expect(rows == Int64(ids.count))
                    #expect(distinct == rows)
                    #expect(logRows == rows)
                }
                // Every acknowledged id is in the table (checked in SQL, all of them).
                for try await (missing) in try await connection.query(
                    "SELECT COUNT(*)::int8 FROM unnest(\(ids.map(\.uuid))::uuid[]) AS a(u) WHERE NOT EXISTS (SELECT 1 FROM plexus_log l WHERE l.message_uuid = a.u)",
                    logger: testLogger
                ).decode(Int64.self) {
                    #expect(missing == 0)
                }
            }
            // Seqs are dense: the drain gave spooled rows PostgreSQL seqs in order.
            let all = try await store.messages(after: 0, limit: ids.count + 10)
            #expect(all.map(\.seq) == Array(1...Int64(ids.count)))
            try await store.close()
            #expect(shared.failures.withLock { $0 } == 0, "with a spool nothing fails")
        }
    }

    /// A full spool refuses new appends with `.full` (503 + Retry-After at the API); without a
    /// spool an outage fails appends at once. Nothing refused is reported stored.
    @Test func aFullSpoolAndNoSpoolRefuseClearly() async throws {
        let server = try PostgresServer()
        try await server.start()
        defer { server.stop() }
        try await withTemporaryDirectory { directory in
            var factory = RecordFactory()
            var spooled = PostgresStoreConfiguration(url: server.url, schema: "full", partitioning: .native)
            spooled.spoolPath = directory + "/spool.sqlite"
            spooled.spoolLimit = 30
            spooled.reconnectInterval = .milliseconds(100)
            var direct = PostgresStoreConfiguration(url: server.url, schema: "direct", partitioning: .native)
            direct.reconnectInterval = .milliseconds(100)
            let store = try await PostgresMessageStore.open(configuration: spooled, logger: testLogger)
            let unspooled = try await PostgresMessageStore.open(configuration: direct, logger: testLogger)
            server.kill9()
            // The first append after the kill notices the outage and goes to the spool.
            var stored = try await store.append([try factory.record()]).count
            try await waitUntil("the store to notice") { !store.health.reachable }
            var refusal: StoreError?
            for _ in 0..<10 {
                do {
                    stored += try await store.append(try (0..<5).map { _ in try factory.record() }).count
                } catch let error as StoreError {
                    refusal = error
                    break
                }
            }
            #expect(refusal?.code == .full)
            #expect(refusal?.message.contains("limit 30") == true)
            #expect(store.health.spooled <= 30)
            await #expect(throws: StoreError.self) { _ = try await unspooled.append([try factory.record()]) }
            try await server.start()
            try await waitUntil("the spool to drain", within: .seconds(60)) { !store.health.degraded }
            // Exactly what was acknowledged reached PostgreSQL; nothing refused did.
            #expect(try await store.count() == stored)
            #expect(try await unspooled.append([try factory.record()]).first?.isNewlyLogged == true)
            try await store.close()
            try await unspooled.close()
        }
    }

    /// A node started while PostgreSQL is down takes appends into the spool; the next start with
    /// the server up drains them (a restart mid-outage loses nothing).
    @Test func aStoreOpenedDuringAnOutageSpoolsAndDrainsAfterRestart() async throws {
        let server = try PostgresServer()
        try await server.start()
        try await PostgresMessageStore.migrate(
            configuration: PostgresStoreConfiguration(url: server.url, schema: "late", partitioning: .native), logger: testLogger)
        server.kill9()
        defer { server.stop() }
        try await withTemporaryDirectory { directory in
            var factory = RecordFactory()
            var configuration = PostgresStoreConfiguration(url: server.url, schema: "late", partitioning: .native)
            configuration.spoolPath = directory + "/spool.sqlite"
            configuration.reconnectInterval = .seconds(3_600)  // only the next open reconnects
            let records = try (0..<100).map { try factory.record(at: Int64($0), to: ["bob"]) }
            let down = try await PostgresMessageStore.open(configuration: configuration, logger: testLogger)
            #expect(!down.health.reachable)
            #expect(try await down.append(records).allSatisfy { $0.isNewlyLogged })
            #expect(try await down.message(id: records[7].envelope.messageID)?.json == records[7].json, "found in the spool")
            try await down.close()

            try await server.start()
            configuration.reconnectInterval = .milliseconds(100)
            let up = try await PostgresMessageStore.open(configuration: configuration, logger: testLogger)
            try await waitUntil("the spool to drain") { !up.health.degraded }
            #expect(try await up.count() == 100)
            #expect(try await up.append([records[3]]) == [.duplicate])
            let page = try await up.query(MessageQuery(subject: "bob", limit: 1_000))
            #expect(page.messages.count == 100)
            try await up.close()

            // The drained spool was emptied: the next start is not degraded and counts no more.
            let again = try await PostgresMessageStore.open(configuration: configuration, logger: testLogger)
            #expect(again.health.spooled == 0)
            #expect(!again.health.degraded)
            #expect(try await again.count() == 100)
            try await again.close()
        }
    }
}
