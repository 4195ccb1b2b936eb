import Foundation
import NIOCore
import PlexusCore
import PlexusNATS
import PlexusNode
import PlexusTestSupport
import Testing

/// The NATS edge against a real nats-server: the original client shape (`PUB MESSAGES`) reaches
/// the log and the live stream; a delivered message appears on subject = topic; requests get the
/// durable ack; bad topics are refused and never published (B4); a kill -9 of nats-server loses
/// nothing JetStream acknowledged (F3).
@Suite("NATS edge", .serialized)
struct NATSEdgeTests {
    @Test func publishToMESSAGESReachesTheLogTheStreamAndSubjectEqualsTopic() async throws {
        let nats = try await ServerProcess.nats()
        defer { nats.stop() }
        let node = try await TestNode.start { $0.edges.nats = NATSEdgeConfiguration(servers: ["nats://127.0.0.1:\(nats.port)"]) }
        let client = try await Self.client(nats.port)
        let egress = try client.subscribe(subject: "agents.>")
        try await client.flush()
        try await waitUntil("the edge connected") { try await HTTP.get("\(node.base)/healthz").text.contains(#""connected":true"#) }
        let stream = WSTestClient(url: "\(node.wsBase)/v1/stream")
        try await node.waitForStreamClients(1)

        // The original shape: a plain publish.
        try client.publish(ByteBuffer(string: #"{"topic": "agents.alpha.events", "data": {"n": 1}}"#), subject: "MESSAGES")
        // A request: answered once the message is durable.
        let ack = try await client.request(ByteBuffer(string: #"{"topic": "agents.beta.events", "data": {"n": 2}}"#), subject: "MESSAGES", timeout: .seconds(20))
        let ackText = String(buffer: ack.payload)
        #expect(ackText.contains(#""status":"ok""#) && ackText.contains("message_uuid"), "\(ackText)")
        // B4: a topic with a space, and a wildcard publish topic, are refused with the reason.
        for bad in [#"{"topic": "agents.bad topic"}"#, #"{"topic": "agents.*"}"#] {
            let refused = String(buffer: try await client.request(ByteBuffer(string: bad), subject: "MESSAGES", timeout: .seconds(20)).payload)
            #expect(refused.contains(#""status":"error""#) && refused.contains("invalid-topic"), "\(refused)")
        }

        let frames = try await stream.next(2)
        #expect(frames.contains { $0.contains(#""n":1"#) } && frames.contains { $0.contains(#""n":2"#) })
        let delivered = try await Self.collect(egress, count: 2)
        #expect(Set(delivered.map(\.subject)) == ["agents.alpha.events", "agents.beta.events"])
        #expect(delivered.allSatisfy { String(buffer: $0.payload).contains("\"message_uuid\"") })
        // Nothing else arrives: the refused ones were never published.
        try client.publish(ByteBuffer(string: #"{"topic": "agents.gamma.events"}"#), subject: "MESSAGES")
        let next = try await Self.collect(egress, count: 1)
        #expect(next.map(\.subject) == ["agents.gamma.events"])

        try await waitUntil("the health counting three logged and two refused") {
            let health = try await HTTP.get("\(node.base)/healthz").text
            return health.contains(#""kind":"nats""#) && health.contains(#""rejected":2"#) && health.contains(#""ingested":3"#)
        }
        stream.stop()
        await client.close()
        try await node.stop()
    }

    /// RELIABILITY F3: nats-server is killed with SIGKILL while the node publishes through
    /// JetStream, and restarted on the same port and store. The edge reconnects and resubscribes
    /// by itself, and every message ends up in the stream exactly once.
    @Test func killingNATSMidStreamLosesNothingJetStreamAcknowledged() async throws {
        let nats = try await ServerProcess.nats(jetStream: true)
        defer { nats.stop() }
        let node = try await TestNode.start { config in
            var edge = NATSEdgeConfiguration(servers: ["nats://127.0.0.1:\(nats.port)"])
            edge.egress.topics = [try! TopicPattern("f3.>")]
            edge.egress.jetStream = .init(stream: "PLEXUSF3")
            config.edges.nats = edge
        }
        let total = 2_000, batch = 100
        func post(_ from: Int) async throws {
            let body = "[" + (from..<(from + batch)).map { #"{"topic": "f3.events", "data": {"i": \#($0)}}"# }.joined(separator: ",") + "]"
            let reply = try await HTTP.post("\(node.base)/v1/messages", body)
            #expect(reply.status == 202)
        }
        for from in stride(from: 0, to: total / 2, by: batch) { try await post(from) }
        nats.kill9()
        for from in stride(from: total / 2, to: total, by: batch) { try await post(from) }
        try await Task.sleep(for: .milliseconds(500))
        try await nats.start()

        let client = try await Self.client(nats.port)
        try await waitUntil("every message in the stream", within: .seconds(60)) {
            (try? await client.jetStreamStreamInfo(name: "PLEXUSF3").state.messages) == UInt64(total)
        }
        // Exactly once: a little longer, and still not more (Nats-Msg-Id de-duplicated resends).
        try await Task.sleep(for: .seconds(1))
        #expect(try await client.jetStreamStreamInfo(name: "PLEXUSF3").state.messages == UInt64(total))

        // The ingest subscription came back by itself.
        let ack = try await client.request(ByteBuffer(string: #"{"topic": "after.restart"}"#), subject: "MESSAGES", timeout: .seconds(20))
        #expect(String(buffer: ack.payload).contains(#""status":"ok""#))
        let health = try await HTTP.get("\(node.base)/healthz").text
        #expect(health.contains(#""reconnects":1"#) || health.contains(#""reconnects":2"#), "\(health)")
        await client.close()
        try await node.stop()
    }

    /// NATS never came up: the node still starts, takes messages, and stops promptly (the
    /// edge's first connect is still waiting when the shutdown comes).
    @Test func aNodeWhoseNATSNeverCameUpStillStops() async throws {
        let port = try FreePort.next()
        let node = try await TestNode.start { $0.edges.nats = NATSEdgeConfiguration(servers: ["nats://127.0.0.1:\(port)"]) }
        #expect(try await HTTP.post("\(node.base)/v1/messages", #"{"topic": "still.working"}"#).status == 202)
        try await waitUntil("the health naming the problem") {
            try await HTTP.get("\(node.base)/healthz").text.contains(#""connected":false"#)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await node.stop() }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                throw ServerProcess.Failure("the node did not stop within 30 s while NATS was down")
            }
            try await group.next()
            group.cancelAll()
        }
    }

    static func client(_ port: Int) async throws -> NATSClient {
        let client = try NATSClient(configuration: try NATSClient.Configuration(url: "nats://127.0.0.1:\(port)"))
        try await client.connect()
        return client
    }

    /// The next `count` messages of `subscription`; fails after 30 s.
    static func collect(_ subscription: NATSSubscription, count: Int) async throws -> [NATSMessage] {
        try await withThrowingTaskGroup(of: [NATSMessage].self) { group in
            group.addTask {
                var got: [NATSMessage] = []
                for await message in subscription {
                    got.append(message)
                    if got.count == count { break }
                }
                return got
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                throw ServerProcess.Failure("timed out waiting for \(count) messages on \(subscription.subject)")
            }
            let got = try await group.next() ?? []
            group.cancelAll()
            return got
        }
    }
}
