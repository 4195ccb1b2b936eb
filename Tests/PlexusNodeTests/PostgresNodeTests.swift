import Foundation
import PlexusCore
import PlexusNode
import PlexusPostgres
import PlexusTestSupport
import Testing

/// A node logging to a real PostgreSQL (docs/postgres.md): `plexus dev --postgres`, RELIABILITY
/// F10 through the HTTP API, and F2 (the database stopped during ingest) end to end.
@Suite("Node with a PostgreSQL log", .serialized)
struct PostgresNodeTests {
    /// A node on PostgreSQL end to end: a batch is logged there and read back; /healthz reports
    /// the store. (RELIABILITY F10: `\u0000` never reaches the database through the API, whose
    /// JSON parser refuses it at the door with the byte offset; the store's own refusal, for
    /// values that get past that, is tested in PostgresMessageStoreTests.)
    @Test func aNodeLogsToPostgres() async throws {
        let server = try PostgresServer()
        try await server.start()
        defer { server.stop() }
        let node = try await TestNode.start { config in
            config.store.kind = .postgres
            var store = PostgresStoreConfiguration(url: server.url, schema: "node")
            store.spoolPath = ""
            config.store.postgres = store
        }
        defer { Task { try await node.stop() } }
        var batch: [String] = (0..<1_000).map { #"{"topic": "audit.events", "source_subject_id": "alpha", "data": {"n": \#($0)}}"# }
        let reply = try await HTTP.post(node.base + "/v1/messages", "[" + batch.joined(separator: ",") + "]")
        #expect(reply.status == 202)
        let ids = reply.json?["message_uuids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        try #require(ids.count == 1_000, "\(String(decoding: reply.body, as: UTF8.self))")
        #expect(try await HTTP.get(node.base + "/v1/messages/" + ids[499]).status == 200)
        let page = try await HTTP.get(node.base + "/v1/messages?topic=audit.events&limit=1000")
        #expect(page.json?["messages"]?.arrayValue?.count == 1_000)
        let health = try await HTTP.get(node.base + "/healthz").json
        #expect(health?["status"] == "ok")
        #expect(health?["store"]?["kind"] == "postgres")
        #expect(health?["store"]?["reachable"] == true)
        #expect(health?["store"]?["spooled"] == 0)

        batch[500] = #"{"topic": "audit.events", "source_subject_id": "alpha", "data": {"text": "nul \u0000 here"}}"#
        let refused = try await HTTP.post(node.base + "/v1/messages", "[" + batch.joined(separator: ",") + "]")
        #expect(refused.status == 400)
        #expect(refused.json?["detail"]?.stringValue?.contains("\\u0000 (NUL)") == true)
    }

    /// F2: `plexus dev --postgres` keeps answering 202 while PostgreSQL is killed for 10 s (the
    /// spool takes the messages, /healthz says degraded); after the restart every acknowledged
    /// message is readable, once, from PostgreSQL.
    @Test func ingestGoesOnThroughAnOutageAndNothingAcknowledgedIsLost() async throws {
        let server = try PostgresServer()
        try await server.start()
        defer { server.stop() }
        let dataDir = TestNode.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let node = try await NodeProcess.dev(dataDir: dataDir, extra: ["--postgres", server.url])
        defer { node.kill9() }
        var acknowledged: [String] = []
        var refusedWith503 = 0
        func send(_ count: Int) async throws {
            let batch = (0..<count).map { #"{"topic": "audit.f2", "source_subject_id": "alpha", "data": {"n": \#($0)}}"# }
            let reply = try await HTTP.post(node.base + "/v1/messages", "[" + batch.joined(separator: ",") + "]")
            if reply.status == 202 {
                acknowledged += reply.json?["message_uuids"]?.arrayValue?.compactMap(\.stringValue) ?? []
            } else {
                #expect(reply.status == 503, "only 202 or 503, never another answer")
                refusedWith503 += 1
            }
        }
        for _ in 0..<20 { try await send(25) }
        server.kill9()
        let outage = ContinuousClock.now
        var sawDegraded = false
        while ContinuousClock.now - outage < .seconds(10) {
            try await send(25)
            if try await HTTP.get(node.base + "/healthz").json?["status"] == "degraded" { sawDegraded = true }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(sawDegraded)
        try await server.start()
        try await waitUntil("the spool to drain", within: .seconds(60)) {
            try await HTTP.get(node.base + "/healthz").json?["status"] == "ok"
        }
        for _ in 0..<4 { try await send(25) }
        #expect(refusedWith503 == 0, "the spool is far from full")
        #expect(acknowledged.count >= 24 * 25)
        for id in acknowledged {
            let read = try await HTTP.get(node.base + "/v1/messages/" + id)
            #expect(read.status == 200, "\(id)")
        }
        let all = try await HTTP.get(node.base + "/v1/messages?topic=audit.f2&limit=1000")
        var ids = all.json?["messages"]?.arrayValue?.compactMap { $0["message_uuid"]?.stringValue } ?? []
        var cursor = all.json?["next_cursor"]?.stringValue
        while let next = cursor {
            let page = try await HTTP.get(node.base + "/v1/messages?topic=audit.f2&limit=1000&cursor=" + next)
            ids += page.json?["messages"]?.arrayValue?.compactMap { $0["message_uuid"]?.stringValue } ?? []
            cursor = page.json?["next_cursor"]?.stringValue
        }
        #expect(ids.count == acknowledged.count, "each acknowledged message once")
        #expect(Set(ids) == Set(acknowledged))
    }

    /// `plexus store migrate` creates the schema ahead of a node and reports what it made.
    @Test func storeMigrateCommand() async throws {
        let server = try await PostgresServer.shared()
        let (status, output) = try await RawHTTP.onThread {
            try ChildProcess.run(NodeProcess.executable, ["store", "migrate", "--postgres", server.url, "--schema", "ops"])
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("schema ops"))
        #expect(output.contains("version 1, native partitioning"))
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
