#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import PlexusAPI
import PlexusCore
import PlexusStore
import Testing

/// WebSocket ingest and live streams, with real WebSocket clients against a real node.
@Suite struct WebSocketAPITests {
    @Test func ingestAcksEachFrameInOrder() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let frames = [
            #"{"topic": "ws.one", "data": 1}"#,
            #"[{"topic": "ws.two", "data": 2}, {"topic": "ws.two", "data": 3}]"#,
            #"{"topic": "bad topic"}"#,
            #"{not json"#,
            #"{"topic": "ws.one", "data": 4}"#,
        ]
        let client = WSTestClient(url: node.wsBase + "/v1/messages/ws", sending: frames)
        defer { client.stop() }
        let acks = try await client.next(frames.count).map { try JSONParser.parse($0) }
        #expect(acks[0]["status"] == "ok")
        #expect(acks[0]["message_uuids"]?.arrayValue?.count == 1)
        #expect(acks[1]["message_uuids"]?.arrayValue?.count == 2)
        #expect(acks[2]["status"] == "error")
        #expect(acks[2]["error"]?["type"] == "https://plexus.dev/problems/invalid-topic")
        #expect(acks[3]["error"]?["type"] == "https://plexus.dev/problems/invalid-json")
        #expect(acks[4]["status"] == "ok")
        // Acknowledged means logged.
        for ack in [acks[0], acks[1], acks[4]] {
            for id in ack["message_uuids"]?.arrayValue ?? [] {
                let read = try await HTTP.get(node.base + "/v1/messages/" + (id.stringValue ?? ""))
                #expect(read.status == 200)
            }
        }
    }

    /// More frames than one trip to the log takes and than the read-ahead window holds, sent
    /// without waiting: every frame gets its own ack, in the order sent, naming its own message.
    @Test func pipelinedFramesAreAckedOneByOneInOrder() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let count = 600
        let ids = (0..<count).map { _ in UUID().uuidString.lowercased() }
        let frames = ids.enumerated().map { index, id in
            // Every 97th frame is refused, so refusals sit among accepted frames of one trip.
            index % 97 == 5 ? #"{"message_uuid": "\#(id)", "topic": "bad topic"}"#
                : #"{"message_uuid": "\#(id)", "topic": "ws.pipelined", "data": \#(index)}"#
        }
        let client = WSTestClient(url: node.wsBase + "/v1/messages/ws", sending: frames)
        defer { client.stop() }
        let acks = try await client.next(count, within: 60).map { try JSONParser.parse($0) }
        for (index, ack) in acks.enumerated() {
            if index % 97 == 5 {
                #expect(ack["status"] == "error", "frame \(index)")
                #expect(ack["error"]?["type"] == "https://plexus.dev/problems/invalid-topic")
            } else {
                #expect(ack["status"] == "ok", "frame \(index)")
                #expect(ack["message_uuids"]?.arrayValue == [.string(ids[index])], "frame \(index)")
            }
        }
        let logged = try await node.node.runtime.store.query(MessageQuery(topic: try TopicPattern("ws.pipelined"), limit: 1_000)).messages.count
        #expect(logged == count - (0..<count).filter { $0 % 97 == 5 }.count)
    }

    /// Several frames in one call: each answered alone, in order, duplicates across frames
    /// told apart.
    @Test func framesIngestedTogetherKeepTheirOwnOutcomes() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let repeated = UUID().uuidString.lowercased()
        let bodies = [
            #"{"message_uuid": "\#(repeated)", "topic": "ws.trip", "data": 1}"#,
            #"[{"topic": "ws.trip", "data": 2}, {"topic": "ws.trip", "data": 3}]"#,
            #"{not json"#,
            #"[{"topic": "ws.trip"}, {"topic": "bad topic"}]"#,
            #"{"message_uuid": "\#(repeated)", "topic": "ws.trip", "data": 1}"#,
        ].map { ByteBuffer(string: $0) }
        let outcomes = await node.node.runtime.ingest(frames: bodies, via: .webSocket)
        try #require(outcomes.count == 5)
        let first = try outcomes[0].get()
        #expect(first.map(\.messageID.description) == [repeated])
        #expect(first.map(\.duplicate) == [false])
        #expect(try outcomes[1].get().count == 2)
        #expect(failure(outcomes[2])?.code == .invalidJSON)
        // A batch is all or nothing: its good element is not logged either.
        #expect(failure(outcomes[3])?.code == .invalidTopic)
        #expect(failure(outcomes[3])?.pointer?.hasPrefix("/1") == true)
        let again = try outcomes[4].get()
        #expect(again.map(\.messageID.description) == [repeated])
        #expect(again.map(\.duplicate) == [true])
        #expect(try await node.node.runtime.store.query(MessageQuery(topic: try TopicPattern("ws.trip"))).messages.count == 3)
    }

    private func failure<T>(_ result: Result<T, PlexusError>) -> PlexusError? {
        if case .failure(let error) = result { return error }
        return nil
    }

    @Test func originalWebSocketIngestRoute() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let client = WSTestClient(url: node.wsBase + "/MESSAGES", sending: [#"{"topic": "fanout.ws", "data": {"x": 1}}"#, #"{"data": 1}"#])
        defer { client.stop() }
        let acks = try await client.next(2).map { try JSONParser.parse($0) }
        let id = try #require(acks[0]["message_uuid"]?.stringValue)
        #expect(try await HTTP.get(node.base + "/messages/" + id).status == 200)
        #expect(acks[1]["status"] == "error")
        #expect(acks[1]["error"]?["type"] == "https://plexus.dev/problems/missing-topic")
    }

    /// RELIABILITY B1: an oversized frame closes the connection with 1009.
    @Test func oversizedFrameClosesWith1009() async throws {
        let node = try await TestNode.start { $0.limits.maxBodyBytes = 2_048 }
        defer { Task { try await node.stop() } }
        let client = WSTestClient(url: node.wsBase + "/v1/messages/ws", sending: [#"{"topic": "a", "data": "\#(String(repeating: "x", count: 4_000))"}"#])
        defer { client.stop() }
        let close = try await client.closeFrame()
        #expect(close?.closeCode == .messageTooLarge)
    }

    /// Frames read before an oversized message (fragments that add up past the limit) are still
    /// ingested and answered, in order, before the connection closes with 1009.
    @Test func framesBeforeAnOversizedMessageAreAckedThenClosedWith1009() async throws {
        let node = try await TestNode.start { $0.limits.maxBodyBytes = 2_048 }
        defer { Task { try await node.stop() } }
        let good = (0..<20).map { #"{"topic": "ws.before", "data": \#($0)}"# }
        let bytes = try await RawHTTP.onThread { () -> [UInt8] in
            let fd = try RawHTTP.connect(port: node.port)
            defer { close(fd) }
            RawHTTP.write(fd, "GET /v1/messages/ws HTTP/1.1\r\nHost: x\r\n" + RawHTTP.upgradeHeaders)
            _ = RawHTTP.read(fd, until: "\r\n\r\n")
            var out: [UInt8] = []
            for frame in good { out += RawHTTP.clientFrame(opcode: 0x1, payload: Array(frame.utf8)) }
            // Each fragment is within the frame limit; together they are over the message limit.
            out += RawHTTP.clientFrame(opcode: 0x1, payload: Array(#"{"topic": "a", "data": ""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: 1_500), fin: false)
            out += RawHTTP.clientFrame(opcode: 0x0, payload: Array(repeating: UInt8(ascii: "x"), count: 1_500) + Array(#""}"#.utf8))
            RawHTTP.write(fd, bytes: out)
            return RawHTTP.readBytes(fd)
        }
        let frames = RawHTTP.serverFrames(bytes)
        let acks = try frames.filter { $0.opcode == 0x1 }.map { try JSONParser.parse($0.payload) }
        #expect(acks.count == good.count)
        #expect(acks.allSatisfy { $0["status"] == "ok" })
        let closing = try #require(frames.last)
        #expect(closing.opcode == 0x8)
        #expect(closing.payload.count >= 2 && Int(closing.payload[0]) << 8 | Int(closing.payload[1]) == 1009)
        let logged = try await node.node.runtime.store.query(MessageQuery(topic: try TopicPattern("ws.before"))).messages
        #expect(logged.count == good.count)
    }

    /// RELIABILITY B3 on WebSocket: a text frame that is not UTF-8 is refused with close 1007.
    @Test func invalidUTF8TextFrameClosesWith1007() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let bytes = try await RawHTTP.onThread { () -> [UInt8] in
            let fd = try RawHTTP.connect(port: node.port)
            defer { close(fd) }
            RawHTTP.write(fd, "GET /v1/messages/ws HTTP/1.1\r\nHost: x\r\n" + RawHTTP.upgradeHeaders)
            _ = RawHTTP.read(fd, until: "\r\n\r\n")
            RawHTTP.write(fd, bytes: RawHTTP.clientFrame(opcode: 0x1, payload: Array(#"{"topic": "a", "data": ""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)))
            return RawHTTP.readBytes(fd)
        }
        // The server's close frame: opcode 0x8, then the 2-byte code.
        let at = try #require(bytes.firstIndex(of: 0x88))
        #expect(bytes.count >= at + 4)
        #expect(Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) == 1007)
    }

    @Test func liveStreamFiltersByTopicAndSubject() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let byTopic = WSTestClient(url: node.wsBase + "/v1/stream?topic=agents.*.events")
        let bySubject = WSTestClient(url: node.wsBase + "/v1/stream?subject=beta")
        let everything = WSTestClient(url: node.wsBase + "/")
        defer { [byTopic, bySubject, everything].forEach { $0.stop() } }
        try await waitForStreamClients(node, 3)
        let batch = """
        [{"topic": "agents.alpha.events", "source_subject_id": "alpha", "data": 1},
         {"topic": "ops.alerts", "destination_subject_ids": ["beta"], "data": 2},
         {"topic": "agents.beta.events", "source_subject_id": "beta", "data": 3}]
        """
        #expect(try await HTTP.post(node.base + "/v1/messages", batch).status == 202)
        func data(_ frames: [String]) throws -> [Int64] { try frames.compactMap { try JSONParser.parse($0)["message_data"]?.integerValue } }
        #expect(try data(try await byTopic.next(2)) == [1, 3])
        #expect(try data(try await bySubject.next(2)) == [2, 3])
        #expect(try data(try await everything.next(3)) == [1, 2, 3])
        // Each stream frame is the full logged envelope.
        let again = WSTestClient(url: node.wsBase + "/v1/stream")
        defer { again.stop() }
        try await waitForStreamClients(node, 4)
        let reply = try await HTTP.post(node.base + "/v1/messages", #"{"topic": "x.y", "data": 9}"#)
        let frame = try JSONParser.parse(try await again.next()[0])
        // The frame is the envelope as logged: what the original route serves byte for byte.
        let stored = try await HTTP.get(node.base + "/messages/" + (reply.json?["message_uuid"]?.stringValue ?? ""))
        #expect(stored.json == frame)
    }

    @Test func badStreamFilterIsNamedThenClosedWith1008() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let bytes = try await RawHTTP.refusedUpgrade(port: node.port, path: "/v1/stream?topic=a..b")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 101"))
        let json = try #require(text.firstIndex(of: "{").flatMap { start in text.lastIndex(of: "}").map { String(text[start...$0]) } })
        let problem = try JSONParser.parse(json)
        #expect(problem["type"] == "https://plexus.dev/problems/invalid-query")
        #expect(problem["detail"]?.stringValue?.contains("a..b") == true)
        // The server's close frame: opcode 0x8, then the 2-byte code 1008 (policy violation).
        let at = try #require(bytes.lastIndex(of: 0x88))
        #expect(bytes.count >= at + 4)
        #expect(Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) == 1008)
    }

    /// RELIABILITY F8: a stream client that stops reading is cut off and counted; a client that
    /// reads gets every message.
    @Test func slowStreamClientIsClosedOthersUnaffected() async throws {
        // Room for two published batches: a client that keeps reading never falls this far behind.
        let node = try await TestNode.start { $0.stream.clientQueue = 64 }
        defer { Task { try await node.stop() } }
        // The slow client: completes the upgrade, then never reads again.
        let slow = try RawHTTP.connect(port: node.port, receiveBuffer: 4_096)
        defer { close(slow) }
        RawHTTP.write(slow, "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + RawHTTP.upgradeHeaders)
        _ = try await RawHTTP.onThread { RawHTTP.read(slow, until: "\r\n\r\n") }
        let fast = WSTestClient(url: node.wsBase + "/v1/stream")
        defer { fast.stop() }
        try await waitForStreamClients(node, 2)

        let payload = String(repeating: "p", count: 16_000)
        let batches = 40, perBatch = 25
        // The sender stays at most two batches (50 frames) ahead of what the reading client has
        // received: a reader slowed down by a loaded machine is still a reader, and the queue
        // bound (64) is about clients that stop, not about a sender that outruns every reader.
        var frames: [String] = []
        for b in 0..<batches {
            let batch = (0..<perBatch).map { i in #"{"topic": "load.test", "data": {"i": \#(b * perBatch + i), "pad": "\#(payload)"}}"# }
            let reply = try await HTTP.post(node.base + "/v1/messages", "[" + batch.joined(separator: ",") + "]")
            #expect(reply.status == 202)
            if b >= 1 { frames += try await fast.next(perBatch) }
        }
        frames += try await fast.next(perBatch)
        let numbers = try frames.compactMap { try JSONParser.parse($0)["message_data"]?["i"]?.integerValue }
        #expect(numbers == (0..<Int64(batches * perBatch)).map { $0 })
        let health = try await HTTP.get(node.base + "/healthz")
        #expect(health.json?["stream"]?["slow_clients_closed"] == 1)
    }

    func waitForStreamClients(_ node: TestNode, _ count: Int) async throws {
        for _ in 0..<200 {
            let health = try await HTTP.get(node.base + "/healthz")
            if let clients = health.json?["stream"]?["clients"]?.integerValue, clients >= count { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("stream clients did not connect")
    }
}
