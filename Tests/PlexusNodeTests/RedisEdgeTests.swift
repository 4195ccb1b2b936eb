import Foundation
import PlexusCore
import PlexusNode
import PlexusRedis
import PlexusTestSupport
import Testing

/// The Redis edge against a real redis-server: the original client shape (`RPUSH MESSAGES`)
/// reaches the log and the live stream; delivered messages reach the configured list and channel;
/// bad items are dead-lettered with the reason; nothing is lost or doubled across a kill -9.
@Suite("Redis edge", .serialized)
struct RedisEdgeTests {
    @Test func rpushReachesTheLogTheStreamAndTheEgressList() async throws {
        let redis = try await ServerProcess.redis(password: "s3cret")
        defer { redis.stop() }
        let node = try await TestNode.start { config in
            var edge = RedisEdgeConfiguration(url: "redis://:s3cret@127.0.0.1:\(redis.port)/2")
            edge.egress = [RedisEgressRule(topics: [try! TopicPattern("agents.>")], list: try! EgressTemplate("plexus.out"),
                                           channel: try! EgressTemplate("{topic}"))]
            config.edges.redis = edge
        }
        let client = try await RedisConnection.connect(configuration: try RedisConfiguration(url: "redis://:s3cret@127.0.0.1:\(redis.port)/2"))
        defer { Task { await client.close() } }
        let stream = WSTestClient(url: "\(node.wsBase)/v1/stream")
        try await node.waitForStreamClients(1)

        let good = #"{"topic": "agents.alpha.events", "source_subject_id": "alpha", "data": {"n": 1}}"#
        let noTopic = #"{"data": {"n": 2}}"#
        let spaced = #"{"topic": "agents.alpha events", "data": {"n": 3}}"#
        _ = try await client.rpush("MESSAGES", [Array(good.utf8), Array(noTopic.utf8), Array("not json".utf8), Array(spaced.utf8)])
        // Above the body limit: dead-lettered by the take script, never read by the node.
        _ = try await client.rpush("MESSAGES", [Array(repeating: UInt8(ascii: "x"), count: 2_000_000)])

        let frames = try await stream.next(1)
        #expect(frames[0].contains(#""n":1"#))
        try await waitUntil("the dead letters") { try await client.llen("MESSAGES:dead") == 4 }
        // Not in push order: the oversized item is dead-lettered by the take script at once,
        // the others when their batch is finished, which may come later.
        let letters = try await client.lrange("MESSAGES:dead").map { String(decoding: $0, as: UTF8.self) }
        #expect(letters.contains { $0.contains("too-large") && $0.count < 2_000 })
        #expect(letters.contains { $0.contains("missing-topic") && $0.contains(#"\"n\": 2"#) })
        #expect(letters.contains { $0.contains("invalid-json") && $0.contains("not json") })
        #expect(letters.contains { $0.contains("invalid-topic") && $0.contains("alpha events") })
        let page = try await HTTP.get("\(node.base)/v1/messages?topic=agents.>")
        #expect(page.text.components(separatedBy: "\"message_uuid\"").count - 1 == 1)

        // Egress: the delivered message lands in the configured list.
        try await waitUntil("the egress list") { try await client.llen("plexus.out") == 1 }
        let out = try await client.lrange("plexus.out")
        #expect(String(decoding: out[0], as: UTF8.self).contains(#""topic":"agents.alpha.events""#))
        // Nothing is left in the processing list once the items are logged or dead-lettered.
        #expect(try await client.llen("plexus:processing:test:MESSAGES") == 0)

        try await waitUntil("the health counting the item and the dead letters") {
            let health = try await HTTP.get("\(node.base)/healthz").text
            return health.contains(#""kind":"redis""#) && health.contains(#""connected":true"#)
                && health.contains(#""ingested":1"#) && health.contains(#""rejected":3"#)
        }
        stream.stop()
        try await node.stop()
    }

    /// RELIABILITY F4, the deterministic half: a node that dies after logging items but before
    /// trimming them from its processing list, or after moving them there but before logging,
    /// finds them there at the next start (here: put there as the take script would have) and
    /// logs each once — also items without a `message_uuid`, whose id comes from their stamp.
    @Test func itemsLeftInTheProcessingListAreLoggedOnceAfterARestart() async throws {
        let redis = try await ServerProcess.redis()
        defer { redis.stop() }
        let url = "redis://127.0.0.1:\(redis.port)"
        let client = try await RedisConnection.connect(configuration: try RedisConfiguration(url: url))
        defer { Task { await client.close() } }
        let processing = "plexus:processing:test:MESSAGES"
        let ms = Int64(Date().timeIntervalSince1970 * 1000)
        let one = QueueStamp(seq: 1, milliseconds: ms).stamped(Array(#"{"topic": "t.one", "data": 1}"#.utf8))
        let two = QueueStamp(seq: 2, milliseconds: ms).stamped(Array(#"{"topic": "t.two", "data": 2}"#.utf8))

        // First run: `one` was taken before a crash; this node logs it and trims it.
        _ = try await client.rpush(processing, [one])
        _ = try await client.command("SET", "plexus:seq:test:MESSAGES", 2)
        let first = try await TestNode.start { $0.edges.redis = RedisEdgeConfiguration(url: url) }
        try await waitUntil("the processing list emptied") { try await client.llen(processing) == 0 }
        try await first.stop(keepingData: true)

        // As if the trim had never run, and `two` had been taken just before the kill.
        _ = try await client.rpush(processing, [one, two])
        let second = try await TestNode.start { config in
            config.edges.redis = RedisEdgeConfiguration(url: url)
            config.dataDir = first.dataDir
        }
        try await waitUntil("the processing list emptied again") { try await client.llen(processing) == 0 }
        let ones = try await HTTP.get("\(second.base)/v1/messages?topic=t.one").text
        let twos = try await HTTP.get("\(second.base)/v1/messages?topic=t.two").text
        #expect(ones.components(separatedBy: "\"message_uuid\"").count - 1 == 1, "t.one logged once: \(ones)")
        #expect(twos.components(separatedBy: "\"message_uuid\"").count - 1 == 1)
        // The counter was not reset: new items get new stamps.
        _ = try await client.rpush("MESSAGES", [Array(#"{"topic": "t.three"}"#.utf8)])
        try await waitUntil("a new item logged") { try await HTTP.get("\(second.base)/v1/messages?topic=t.three").text.contains("message_uuid") }
        #expect(try await client.command("GET", "plexus:seq:test:MESSAGES").string == "3")
        try await second.stop()
    }
}

/// RELIABILITY F4 with a real process: `plexus dev --redis` is killed with SIGKILL while it
/// drains a list of items without `message_uuid`, then started again on the same data. Every
/// item is logged exactly once: none lost between the pop and the log, none doubled between the
/// log and the trim.
@Suite("Redis edge, kill -9", .serialized)
struct RedisEdgeKillTests {
    @Test func killedAfterAPopLosesNothingAndLogsOnce() async throws {
        let redis = try await ServerProcess.redis()
        defer { redis.stop() }
        let url = "redis://127.0.0.1:\(redis.port)"
        let client = try await RedisConnection.connect(configuration: try RedisConfiguration(url: url))
        defer { Task { await client.close() } }
        let total = 3_000
        let items = (0..<total).map { Array(#"{"topic": "f4.items", "data": {"i": \#($0)}}"#.utf8) }
        for chunk in stride(from: 0, to: total, by: 500) {
            _ = try await client.rpush("MESSAGES", Array(items[chunk..<min(total, chunk + 500)]))
        }
        let dataDir = TestNode.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let first = try await NodeProcess.dev(dataDir: dataDir, extra: ["--redis", url])
        // Kill it mid-drain: some items logged, some taken and in flight, some still queued.
        try await waitUntil("the node draining the list") { try await client.llen("MESSAGES") < total - 300 }
        first.kill9()
        // The case F4 is about: items popped (in the processing list) and not finished.
        let taken = try await client.llen("plexus:processing:dev:MESSAGES")
        #expect(taken > 0, "nothing was in flight at the kill; the test proves nothing")

        let second = try await NodeProcess.dev(dataDir: dataDir, extra: ["--redis", url])
        try await waitUntil("the list and the processing list drained") {
            let queued = try await client.llen("MESSAGES")
            let processing = try await client.llen("plexus:processing:dev:MESSAGES")
            return queued == 0 && processing == 0
        }
        // Page through the log: every item exactly once.
        var seen: [Int: Int] = [:]
        var cursor: String?
        repeat {
            let url = "\(second.base)/v1/messages?topic=f4.items&limit=1000" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try JSONSerialization.jsonObject(with: Data(try await HTTP.get(url).body)) as? [String: Any] ?? [:]
            for message in page["messages"] as? [[String: Any]] ?? [] {
                let i = ((message["message_data"] as? [String: Any])?["i"] as? Int) ?? -1
                seen[i, default: 0] += 1
            }
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        #expect(seen.count == total, "\(total - seen.count) items lost")
        #expect(seen.values.allSatisfy { $0 == 1 }, "\(seen.filter { $0.value > 1 }.count) items logged twice")
        _ = await second.terminate()
    }
}

/// The edge as the rest of the mesh sees it, and a node whose Redis is down.
@Suite("Redis edge health", .serialized)
struct RedisEdgeHealthTests {
    /// The edge is a backbone of the gossiped registry, with its health in `metadata.edge`.
    @Test func theEdgeIsABackboneWithItsHealth() async throws {
        let redis = try await ServerProcess.redis()
        defer { redis.stop() }
        let node = try await TestNode.start { $0.edges.redis = RedisEdgeConfiguration(url: "redis://127.0.0.1:\(redis.port)") }
        var record: JSONObject?
        try await waitUntil("the edge's backbone entry, connected") {
            let all = try await HTTP.post("\(node.base)/backbones", "{}").json?.arrayValue ?? []
            record = all.compactMap(\.objectValue).first { $0["metadata"]?.objectValue?["kind"] == "redis" }
            return record?["metadata"]?.objectValue?["edge"]?.objectValue?["connected"] == .bool(true)
        }
        #expect(record?["public_url"] == .string("redis://127.0.0.1:\(redis.port)/0"))
        #expect(record?["name"]?.stringValue?.hasPrefix("redis edge of ") == true)
        try await node.stop()
    }

    /// Redis is not there at all: the node starts, takes messages over HTTP, and says what is
    /// wrong in /healthz; when Redis comes up, the edge connects by itself.
    @Test func theNodeRunsWhileRedisIsDown() async throws {
        let port = try FreePort.next()
        let node = try await TestNode.start { $0.edges.redis = RedisEdgeConfiguration(url: "redis://127.0.0.1:\(port)") }
        let reply = try await HTTP.post("\(node.base)/v1/messages", #"{"topic": "still.working"}"#)
        #expect(reply.status == 202)
        try await waitUntil("the health naming the problem") {
            let health = try await HTTP.get("\(node.base)/healthz").text
            return health.contains(#""connected":false"#) && health.contains("last_error")
        }
        let redis = try await ServerProcess.redis(port: port, start: false)
        defer { redis.stop() }
        try await redis.start()
        try await waitUntil("the edge connected", within: .seconds(60)) {
            try await HTTP.get("\(node.base)/healthz").text.contains(#""connected":true"#)
        }
        try await node.stop()
    }
}
