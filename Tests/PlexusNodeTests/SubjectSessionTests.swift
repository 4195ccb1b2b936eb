#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PlexusCore
import Testing

/// `WS /v1/subjects/{id}/session`: the subject is announced, receives what is addressed to it,
/// acks each message, and gets the unacknowledged ones again when it reconnects.
@Suite struct SubjectSessionTests {
    @Test func unackedMessagesAreRedeliveredOnReconnect() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let url = node.wsBase + "/v1/subjects/agent-x/session"
        let first = try await node.announcedSession("agent-x")
        let ids = try await node.sendDirect(to: "agent-x", count: 3)
        // Not for agent-x: never delivered to it.
        _ = try await HTTP.post(node.base + "/v1/messages", json: ["topic": "dm", "destination_subject_ids": ["someone-else"], "data": 9])
        let got = try await first.next(3).compactMap { (try? JSONParser.parse($0))?["message_uuid"]?.stringValue }
        #expect(got == ids)
        first.send(#"{"ack": "\#(ids[0])"}"#)
        // A frame that is not an ack is answered with a problem, and the session goes on.
        first.send(#"{"hello": 1}"#)
        let problem = try await first.next(1)[0]
        #expect(problem.contains("ack"))
        first.stop()

        let second = WSTestClient(url: url)
        defer { second.stop() }
        let again = try await second.next(2).compactMap { (try? JSONParser.parse($0))?["message_uuid"]?.stringValue }
        #expect(again == Array(ids[1...]))
        second.send(#"{"ack": ["\#(ids[1])", "\#(ids[2])"]}"#)
        let later = try await HTTP.post(node.base + "/v1/messages", json: ["topic": "dm", "destination_subject_ids": ["agent-x"], "data": 3])
        let next = try await second.next(1).compactMap { (try? JSONParser.parse($0))?["message_uuid"]?.stringValue }
        #expect(next == [later.json?["message_uuids"]?.arrayValue?.first?.stringValue ?? "-"])
    }

    /// Messages delivered to a subject homed here and not acknowledged survive a restart of the
    /// node: its inbox is in the store, written with the log row.
    @Test func unackedMessagesSurviveARestart() async throws {
        let node = try await TestNode.start()
        let first = try await node.announcedSession("agent-y")
        let ids = try await node.sendDirect(to: "agent-y", count: 3)
        let got = try await first.next(3).compactMap { (try? JSONParser.parse($0))?["message_uuid"]?.stringValue }
        #expect(got == ids)
        first.send(#"{"ack": "\#(ids[0])"}"#)
        try await eventually("the ack is taken") {
            try await HTTP.get(node.base + "/healthz").json?["inboxes"]?["pending"]?.integerValue == 2
        }
        first.stop()
        // The store writes the ack with its last commit, at shutdown.
        try await node.stop(keepingData: true)

        let again = try await TestNode.start { $0.dataDir = node.dataDir }
        defer { Task { try await again.stop() } }
        let second = WSTestClient(url: again.wsBase + "/v1/subjects/agent-y/session")
        defer { second.stop() }
        let redelivered = try await second.next(2).compactMap { (try? JSONParser.parse($0))?["message_uuid"]?.stringValue }
        #expect(redelivered == Array(ids[1...]))
    }

    @Test func aBadSubjectIdIsRefusedWithAProblem() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let long = String(repeating: "x", count: 201)  // one over the limit
        let bytes = try await RawHTTP.refusedUpgrade(port: node.port, path: "/v1/subjects/\(long)/session")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 101"))
        #expect(text.contains("subject id"))
        let at = try #require(bytes.lastIndex(of: 0x88))
        #expect(bytes.count >= at + 4)
        #expect(Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) == 1008)
    }
}

extension TestNode {
    /// A session for `subject` (with `query`, e.g. "?frames=batch"), once the node lists the
    /// subject as announced.
    func announcedSession(_ subject: String, query: String = "") async throws -> WSTestClient {
        let client = WSTestClient(url: wsBase + "/v1/subjects/\(subject)/session" + query)
        try await eventually("\(subject) is announced") { try await HTTP.get(base + "/v1/subjects/\(subject)").status == 200 }
        return client
    }

    /// Sends `count` messages to `subject` alone (data 0, 1, ...); their ids, in order.
    func sendDirect(to subject: String, count: Int) async throws -> [String] {
        var ids: [String] = []
        for i in 0..<count {
            let reply = try await HTTP.post(base + "/v1/messages", json: ["topic": "dm", "destination_subject_ids": [.string(subject)], "data": .integer(Int64(i))])
            ids.append(reply.json?["message_uuids"]?.arrayValue?.first?.stringValue ?? "")
        }
        return ids
    }
}
