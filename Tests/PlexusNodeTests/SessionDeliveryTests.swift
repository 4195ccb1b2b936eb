import Foundation
import NIOCore
import PlexusCore
import PlexusNATS
import PlexusNode
import PlexusTestSupport
import Testing

/// Sessions across failures and nodes: a node killed with SIGKILL keeps its pending session and
/// expires it on time after the restart; a result reaches an agent attached to another node of
/// the mesh and an agent listening on the local NATS edge.
@Suite struct SessionDeliveryTests {
    @Test func aSIGKILLedNodeKeepsThePendingSessionAndExpiresItAfterRestart() async throws {
        let dataDir = TestNode.temporaryDirectory()
        let node = try await NodeProcess.dev(dataDir: dataDir)
        let created = try #require(try await HTTP.post(node.base + "/v1/sessions", json: [
            "subject_id": "agent-k", "message_data": ["message": "Still there?"], "expires_in": 6,
        ]).json)
        let id = try #require(created["session_id"]?.stringValue)
        let expiry = try #require(created["expiry_date"]?.doubleValue)
        node.kill9()

        let restarted = try await NodeProcess.dev(dataDir: dataDir)
        let kept = try #require(try await HTTP.get(restarted.base + "/v1/sessions/" + id).json)
        #expect(["pending", "sent"].contains(kept["status"]?.stringValue ?? ""), "kept open across the kill")
        #expect(kept["expiry_date"]?.doubleValue == expiry)
        var session = kept
        let deadline = ContinuousClock.now + .seconds(30)
        while session["status"] != "expired", ContinuousClock.now < deadline {
            session = try #require(try await HTTP.get(restarted.base + "/v1/sessions/\(id)?wait=10&version=\(session["version"]?.integerValue ?? 0)").json)
        }
        #expect(session["status"] == "expired")
        #expect(session["response_data"] == .null)
        // Never early: the expiry was applied at or after the date the agent asked for.
        let expiredAt = try #require(session["updated_at"]?.stringValue.flatMap { Timestamp(rfc3339: $0) })
        #expect(expiredAt.seconds >= expiry)
        #expect(await restarted.terminate() == 0)
        try? FileManager.default.removeItem(atPath: dataDir)
    }

    /// The agent is attached to node B; the session lives on node A; the result crosses the mesh.
    @Test func aResultReachesAnAgentOnAnotherNode() async throws {
        let ca = try MeshTestCA(organisation: "acme")
        var identities: [NodeConfiguration] = []
        for name in ["a", "b"] {
            var config = NodeConfiguration()
            try ca.configure(&config, node: name)
            identities.append(config)
        }
        let a = try await SessionNodeTests.start { $0.identity = identities[0].identity }
        defer { Task { try await a.stop() } }
        let b = try await SessionNodeTests.start { config in
            config.identity = identities[1].identity
            config.mesh.seeds = [a.meshAddress]
        }
        defer { Task { try await b.stop() } }
        let agent = WSTestClient(url: b.wsBase + "/v1/subjects/agent-far/session")
        defer { agent.stop() }
        try await eventually("a knows agent-far is at b", seconds: 30) {
            try await HTTP.get(a.base + "/v1/subjects/agent-far").status == 200
        }
        let created = try #require(try await HTTP.post(a.base + "/v1/sessions", json: ["subject_id": "agent-far", "message_data": ["message": "?"]]).json)
        let id = try #require(created["session_id"]?.stringValue)
        #expect(try await HTTP.post(a.base + "/v1/sessions/\(id)/reply", json: ["response_data": ["answer": 42]]).status == 200)
        let frame = try JSONParser.parse(try await agent.next(1, within: 30)[0])
        #expect(frame["topic"] == "agent-far__human_intervention_results")
        #expect(frame["message_data"]?["event_payload"] == ["answer": 42])
    }

    /// The result is published to the local NATS on subject = topic, as the original did.
    @Test func aResultIsPublishedOnTheNATSEdge() async throws {
        let nats = try await ServerProcess.nats()
        defer { nats.stop() }
        let node = try await SessionNodeTests.start { $0.edges.nats = NATSEdgeConfiguration(servers: ["nats://127.0.0.1:\(nats.port)"]) }
        defer { Task { try await node.stop() } }
        let client = try await NATSEdgeTests.client(nats.port)
        let results = try client.subscribe(subject: "agent-n__human_intervention_results")
        try await client.flush()
        try await waitUntil("the edge connected") { try await HTTP.get("\(node.base)/healthz").text.contains(#""connected":true"#) }
        let created = try #require(try await HTTP.post(node.base + "/v1/sessions", json: ["subject_id": "agent-n", "message_data": ["message": "?"]]).json)
        let id = try #require(created["session_id"]?.stringValue)
        #expect(try await HTTP.post(node.base + "/v1/sessions/\(id)/reply", json: ["response_data": ["n": 7]]).status == 200)
        let message = try await NATSEdgeTests.collect(results, count: 1)[0]
        let body = try JSONParser.parse(Array(message.payload.readableBytesView))
        #expect(body["message_data"]?["event_payload"] == ["n": 7])
        #expect(body["message_data"]?["session_id"] == .string(id))
    }
}
