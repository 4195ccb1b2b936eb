import Foundation
import Hummingbird
import Logging
import NIOCore
import PlexusCore
import PlexusNode
import Synchronization
import Testing

/// HTTP push subscriptions against a real HTTP receiver the test runs: topic interest travels
/// to the node where messages enter, the receiver's refusals are retried, and every matching
/// message arrives once.
@Suite struct PushSubscriptionTests {
    /// Records every POST body; answers 503 to the first `failFirst` requests.
    final class Receiver: Sendable {
        let bodies = Mutex<[String]>([])
        let requests = Mutex(0)
        let failFirst: Int
        let task: Task<Void, any Error>
        let port: Int

        init(failFirst: Int) async throws {
            self.failFirst = failFirst
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let router = Router()
            let box = Box()
            router.post("/hook") { request, _ -> HTTPResponse.Status in
                let body = try await request.body.collect(upTo: 1 << 20)
                let n = box.receiver?.requests.withLock { n -> Int in n += 1; return n } ?? 0
                if n <= failFirst { return .serviceUnavailable }
                box.receiver?.bodies.withLock { $0.append(String(buffer: body)) }
                return .ok
            }
            var logger = Logger(label: "receiver")
            logger.logLevel = .critical
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                  onServerRunning: { continuation.yield($0.localAddress?.port ?? 0); continuation.finish() }, logger: logger)
            task = Task { try await app.runService() }
            var port = 0
            for await p in ports { port = p; break }
            self.port = port
            box.set(self)
        }

        var url: String { "http://127.0.0.1:\(port)/hook" }

        func ids() -> [String] {
            bodies.withLock { $0 }.compactMap { (try? JSONParser.parse($0))?["message_uuid"]?.stringValue }
        }
    }

    /// Lets the route closure reach the receiver once it exists.
    final class Box: Sendable {
        private let inner = Mutex<Receiver?>(nil)
        var receiver: Receiver? { inner.withLock { $0 } }
        func set(_ r: Receiver) { inner.withLock { $0 = r } }
    }

    @Test func topicAndSubjectSubscriptionsPushAcrossTheMeshWithRetries() async throws {
        let receiver = try await Receiver(failFirst: 2)
        defer { receiver.task.cancel() }
        let ca = try MeshTestCA(organisation: "acme")
        var first = NodeConfiguration(), second = NodeConfiguration()
        try ca.configure(&first, node: "a")
        try ca.configure(&second, node: "b")
        let a = try await TestNode.start { $0.identity = first.identity }
        defer { Task { try await a.stop() } }
        let b = try await TestNode.start { c in
            c.identity = second.identity
            c.mesh.seeds = [a.meshAddress]
        }
        defer { Task { try await b.stop() } }

        // Bad bodies are refused with the field named.
        let bad = try await HTTP.request(.PUT, b.base + "/v1/subscriptions/s0", body: Array(#"{"url": "ftp://x", "topic": "a"}"#.utf8))
        #expect(bad.status == 400 || bad.status == 422)
        #expect(String(decoding: bad.body, as: UTF8.self).contains("url"))

        let topic = try await HTTP.request(.PUT, b.base + "/v1/subscriptions/s1", body: Array(#"{"url": "\#(receiver.url)", "topic": "push.>"}"#.utf8))
        #expect(topic.status == 200, "\(String(decoding: topic.body, as: UTF8.self))")
        let subject = try await HTTP.request(.PUT, b.base + "/v1/subscriptions/s2", body: Array(#"{"url": "\#(receiver.url)", "subject": "agent-p"}"#.utf8))
        #expect(subject.status == 200)
        #expect((try await HTTP.get(b.base + "/v1/subscriptions")).json?["subscriptions"]?.arrayValue?.count == 2)

        // a learns b's interest and b's subject before anything is sent.
        try await eventually("a knows b's interest and subject", seconds: 30) {
            let routes = try await HTTP.get(a.base + "/v1/routes").json
            let subjectKnown = try await HTTP.get(a.base + "/v1/subjects/agent-p").status == 200
            return routes?["interest"]?["acme/c/b"]?.arrayValue?.contains("push.>") == true && subjectKnown
        }
        var expected: [String] = []
        for i in 0..<20 {
            let reply = try await HTTP.post(a.base + "/v1/messages", json: ["topic": .string(i % 4 == 0 ? "other.x" : "push.x"), "data": .integer(Int64(i))])
            let id = reply.json?["message_uuids"]?.arrayValue?.first?.stringValue ?? ""
            if i % 4 != 0 { expected.append(id) }
        }
        let direct = try await HTTP.post(a.base + "/v1/messages", json: ["topic": "dm", "destination_subject_ids": ["agent-p"], "data": 1])
        expected.append(direct.json?["message_uuids"]?.arrayValue?.first?.stringValue ?? "")

        try await eventually("every matching message pushed", seconds: 30) { Set(receiver.ids()) == Set(expected) }
        try await Task.sleep(for: .milliseconds(500))
        #expect(receiver.ids().count == expected.count, "duplicates pushed")
        #expect(receiver.requests.withLock { $0 } >= expected.count + 2)

        #expect((try await HTTP.request(.DELETE, b.base + "/v1/subscriptions/s1")).status == 204)
        #expect((try await HTTP.get(b.base + "/v1/subscriptions/s1")).status == 404)
    }
}
