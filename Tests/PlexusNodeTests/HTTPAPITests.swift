import Foundation
import PlexusCore
import Testing

/// Every HTTP route, with a real HTTP client against a real node on a free port.
@Suite struct HTTPAPITests {
    @Test func postOneThenReadItBack() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let reply = try await HTTP.post(node.base + "/v1/messages", #"{"topic": "agents.alpha.events", "source_subject_id": "alpha", "destination_subject_ids": ["beta"], "data": {"n": 1}}"#)
        #expect(reply.status == 202)
        let id = try #require(reply.json?["message_uuid"]?.stringValue)
        #expect(reply.json?["message_uuids"] == [.string(id)])

        let read = try await HTTP.get(node.base + "/v1/messages/" + id)
        #expect(read.status == 200)
        let envelope = try #require(read.json)
        #expect(envelope["message_uuid"]?.stringValue == id)
        #expect(envelope["topic"] == "agents.alpha.events")
        #expect(envelope["message_data"] == ["n": 1])
        #expect(envelope["source_subject_id"] == "alpha")
        #expect(envelope["destination_subject_ids"] == ["beta"])
        #expect(envelope["message_type"] == "message")
        #expect(envelope["origin_ts"]?.stringValue != nil)
        #expect(envelope["ack_ts"]?.stringValue != nil)
        // With the mesh on, hops name nodes by mesh id (the dev identity: dev/local/<name>).
        #expect(envelope["hops"]?.arrayValue?.first?["node"] == "dev/local/test")
        #expect(envelope["route"]?["role"] == "origin")
        #expect(envelope["route"]?["path"] == ["dev/local/test"])

        // The original logger route serves the same envelope, as logged (without `route`).
        let compat = try await HTTP.get(node.base + "/messages/" + id)
        #expect(compat.status == 200)
        var logged = envelope.objectValue ?? [:]
        logged["route"] = nil
        #expect(compat.json == .object(logged))
    }

    @Test func batchQueryByTopicSubjectTimeAndCursor() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        var batch: [JSONValue] = []
        for i in 0..<30 {
            batch.append([
                "topic": .string(i % 3 == 0 ? "agents.alpha.events" : i % 3 == 1 ? "agents.beta.events" : "ops.alerts"),
                "source_subject_id": .string(i % 2 == 0 ? "alpha" : "beta"),
                "destination_subject_ids": i % 5 == 0 ? ["gamma"] : [],
                "origin_ts": .string(Timestamp(microseconds: 1_700_000_000_000_000 + Int64(i) * 1_000_000).rfc3339),
                "data": .integer(Int64(i)),
            ])
        }
        let reply = try await HTTP.post(node.base + "/v1/messages", json: .array(batch))
        #expect(reply.status == 202)
        #expect(reply.json?["message_uuids"]?.arrayValue?.count == 30)

        func numbers(_ query: String) async throws -> ([Int64], String?) {
            let page = try await HTTP.get(node.base + "/v1/messages?" + query)
            #expect(page.status == 200, "\(query): \(String(decoding: page.body, as: UTF8.self))")
            let messages = page.json?["messages"]?.arrayValue ?? []
            return (messages.compactMap { $0["message_data"]?.integerValue }, page.json?["next_cursor"]?.stringValue)
        }
        // Newest first.
        #expect(try await numbers("limit=3").0 == [29, 28, 27])
        #expect(try await numbers("topic=agents.alpha.events&limit=4").0 == [27, 24, 21, 18])
        #expect(try await numbers("topic=agents.*.events&limit=4").0 == [28, 27, 25, 24])
        #expect(try await numbers("topic=agents.%3E&limit=2").0 == [28, 27])
        // Subject matches the sender or any recipient.
        #expect(try await numbers("subject=gamma").0 == [25, 20, 15, 10, 5, 0])
        #expect(try await numbers("subject=beta&limit=3").0 == [29, 27, 25])
        let since = Timestamp(microseconds: 1_700_000_000_000_000 + 10_000_000).rfc3339
        let until = Timestamp(microseconds: 1_700_000_000_000_000 + 13_000_000).rfc3339
        #expect(try await numbers("since=\(since)&until=\(until)").0 == [12, 11, 10])

        // Paging with the cursor walks every row once, in order.
        var seen: [Int64] = []
        var cursor: String? = nil
        repeat {
            let (page, next) = try await numbers("limit=7" + (cursor.map { "&cursor=" + $0 } ?? ""))
            seen += page
            cursor = next
        } while cursor != nil
        #expect(seen == Array((0..<30).reversed()))
    }

    @Test func duplicateMessageUUIDIsAcceptedAndStoredOnce() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let body = #"{"topic": "a.b", "message_uuid": "0192f0c4-7a10-7cc1-9a36-2f8e4b5d6a7b", "source_subject_id": "s"}"#
        let first = try await HTTP.post(node.base + "/v1/messages", body)
        let second = try await HTTP.post(node.base + "/v1/messages", body)
        #expect(first.status == 202 && second.status == 202)
        #expect(first.json?["duplicates"] == 0)
        #expect(second.json?["duplicates"] == 1)
        let page = try await HTTP.get(node.base + "/v1/messages?subject=s")
        #expect(page.json?["messages"]?.arrayValue?.count == 1)
    }

    @Test func originalRoutesWithTheirPayloadShapes() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        // {"message": "<json string>"}, as the original fanout documented.
        let inner = #"{\"topic\": \"fanout.test\", \"source_subject_id\": \"agent-1\", \"destination_subject_ids\": [\"agent-2\"], \"data\": {\"k\": 1}}"#
        let wrapped = try await HTTP.post(node.base + "/MESSAGES", #"{"message": "\#(inner)"}"#)
        #expect(wrapped.status == 200)
        #expect(wrapped.json?["status"] == "success")
        let first = try #require(wrapped.json?["message_uuid"]?.stringValue)
        // ...and the object itself.
        let plain = try await HTTP.post(node.base + "/MESSAGES", #"{"topic": "fanout.test", "source_subject_id": "agent-2", "data": {"k": 2}}"#)
        #expect(plain.status == 200)
        let second = try #require(plain.json?["message_uuid"]?.stringValue)

        let one = try await HTTP.get(node.base + "/messages/" + first)
        #expect(one.json?["message_data"] == ["k": 1])
        // A JSON array, newest first, where the subject is sender or recipient.
        let bySubject = try await HTTP.get(node.base + "/messages/subject/agent-2")
        #expect(bySubject.status == 200)
        let ids = bySubject.json?.arrayValue?.compactMap { $0["message_uuid"]?.stringValue }
        #expect(ids == [second, first])
        let none = try await HTTP.get(node.base + "/messages/subject/nobody")
        #expect(none.json == [])
        // A message without a topic is rejected with a clear error (the original dropped it).
        let noTopic = try await HTTP.post(node.base + "/MESSAGES", #"{"message": "{\"data\": 1}"}"#)
        #expect(noTopic.status == 400)
        #expect(noTopic.json?["type"] == "https://plexus.dev/problems/missing-topic")
    }

    @Test func healthz() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let reply = try await HTTP.get(node.base + "/healthz")
        #expect(reply.status == 200)
        #expect(reply.json?["status"] == "ok")
        #expect(reply.json?["node"] == "test")
        #expect(reply.json?["store"]?["kind"] == "sqlite")
        // The log writer's totals grow with what is logged.
        let before = reply.json?["store"]?["writer"]
        #expect(before?["failed_commits"]?.integerValue == 0)
        let posted = try await HTTP.post(node.base + "/v1/messages", #"[{"topic": "health.a", "data": 1}, {"topic": "health.b", "data": 2}]"#)
        #expect(posted.status == 202)
        let after = try await HTTP.get(node.base + "/healthz").json?["store"]?["writer"]
        let rows = (after?["rows"]?.integerValue ?? 0) - (before?["rows"]?.integerValue ?? 0)
        let commits = (after?["commits"]?.integerValue ?? 0) - (before?["commits"]?.integerValue ?? 0)
        #expect(rows == 2, "nothing but this POST logs messages on this node")
        // One append, so one commit for both rows; housekeeping may commit by itself besides.
        #expect(commits >= 1)
        #expect((after?["wal_frames"]?.integerValue ?? 0) > (before?["wal_frames"]?.integerValue ?? 0))
        #expect((after?["commit_wall_us"]?.integerValue ?? 0) > (before?["commit_wall_us"]?.integerValue ?? 0))
        #expect(after?["commit_cpu_us"]?.integerValue != nil)
    }

    /// RELIABILITY B1-B4, B6 over HTTP: problem JSON with the right status and type, never a 5xx.
    @Test func badInputGetsProblemJSON() async throws {
        let node = try await TestNode.start { $0.limits.maxBodyBytes = 4_096 }
        defer { Task { try await node.stop() } }
        func check(_ reply: HTTPReply, _ status: Int, _ type: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(reply.status == status, sourceLocation: sourceLocation)
            #expect(reply.header("content-type") == "application/problem+json", sourceLocation: sourceLocation)
            #expect(reply.json?["type"]?.stringValue == "https://plexus.dev/problems/" + type, sourceLocation: sourceLocation)
            #expect(reply.json?["detail"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        }
        let post = node.base + "/v1/messages"
        check(try await HTTP.post(post, "{not json"), 400, "invalid-json")
        check(try await HTTP.request(.POST, post, body: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]), 400, "invalid-json")
        check(try await HTTP.post(post, #"{"topic": "a", "data": "\u0000"}"#), 400, "invalid-json")
        check(try await HTTP.post(post, #"{"topic": "a", "data": "\udc00"}"#), 400, "invalid-json")
        check(try await HTTP.post(post, #"{"topic": "a", "topic": "b"}"#), 400, "invalid-json")
        check(try await HTTP.post(post, #"{"topic": "a"} trailing"#), 400, "invalid-json")
        check(try await HTTP.post(post, String(repeating: "[", count: 10_000)), 413, "too-large")
        check(try await HTTP.post(post, String(repeating: "[", count: 2_000)), 400, "too-deep")
        check(try await HTTP.post(post, #"{"data": 1}"#), 400, "missing-topic")
        check(try await HTTP.post(post, #"{"topic": "a b"}"#), 400, "invalid-topic")
        check(try await HTTP.post(post, #"{"topic": "a\r\nb"}"#), 400, "invalid-topic")
        check(try await HTTP.post(post, #"{"topic": "a.*"}"#), 400, "invalid-topic")
        check(try await HTTP.post(post, #"{"topic": "a..b"}"#), 400, "invalid-topic")
        check(try await HTTP.post(post, #"{"topic": "a", "data": "\#(String(repeating: "x", count: 5_000))"}"#), 413, "too-large")
        check(try await HTTP.get(node.base + "/v1/messages/0192f0c4-7a10-7cc1-9a36-2f8e4b5d6a7b"), 404, "not-found")
        check(try await HTTP.get(node.base + "/messages/0192f0c4-7a10-7cc1-9a36-2f8e4b5d6a7b"), 404, "not-found")
        check(try await HTTP.get(node.base + "/v1/messages/not-a-uuid"), 400, "invalid-query")
        check(try await HTTP.get(node.base + "/v1/messages?cursor=garbage"), 400, "invalid-query")
        check(try await HTTP.get(node.base + "/v1/messages?limit=-1"), 400, "invalid-query")
        check(try await HTTP.get(node.base + "/v1/messages?topic=a..b"), 400, "invalid-query")
        check(try await HTTP.get(node.base + "/no/such/route"), 404, "not-found")
        // A bad batch is refused whole, naming the element, and stores nothing.
        let bad = try await HTTP.post(post, #"[{"topic": "ok.one"}, {"topic": "not ok"}]"#)
        check(bad, 400, "invalid-topic")
        #expect(bad.json?["pointer"] == "/1/topic")
        let page = try await HTTP.get(node.base + "/v1/messages?topic=ok.one")
        #expect(page.json?["messages"] == [])
    }

    /// A lying Content-Length larger than the limit is refused before the body is read.
    @Test func declaredOversizeBodyIsRefusedUpFront() async throws {
        let node = try await TestNode.start { $0.limits.maxBodyBytes = 4_096 }
        defer { Task { try await node.stop() } }
        let reply = try await RawHTTP.send(
            port: node.port,
            "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{\"topic\":"
        )
        #expect(reply.hasPrefix("HTTP/1.1 413"))
        #expect(reply.contains("too-large"))
    }
}
