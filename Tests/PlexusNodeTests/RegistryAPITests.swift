import Foundation
import NIOHTTP1
import PlexusCore
import PlexusNode
import Testing

/// The registry routes on real nodes: the original backbone CRUD and query, subjects, nodes, and
/// a write on one node read on another after gossip.
@Suite struct RegistryAPITests {
    func send(_ method: HTTPMethod, _ url: String, _ body: String? = nil) async throws -> HTTPReply {
        try await HTTP.request(method, url, body: body.map { Array($0.utf8) })
    }

    @Test func originalBackboneRoutes() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let created = try await send(.POST, node.base + "/backbone",
                                     #"{"name": "eu", "org_ids": "acme,globex", "cluster_id": "cluster-a", "public_url": "https://eu.example", "metadata": {"tier": 1}}"#)
        #expect(created.status == 201)
        let id = try #require(created.json?["system_id"]?.stringValue)
        #expect(UUID(uuidString: id) != nil, "a generated system_id is a UUID")
        let read = try await HTTP.get(node.base + "/backbone/" + id)
        #expect(read.json == ["system_id": .string(id), "org_ids": "acme,globex", "cluster_id": "cluster-a",
                              "public_url": "https://eu.example", "metadata": ["tier": 1], "name": "eu"])
        _ = try await send(.POST, node.base + "/backbone", #"{"system_id": "other", "cluster_id": "cluster-b"}"#)

        let updated = try await send(.PUT, node.base + "/backbone/" + id, #"{"name": "eu-west"}"#)
        #expect(updated.status == 200)
        #expect(updated.json?["name"] == "eu-west")
        #expect(updated.json?["cluster_id"] == "cluster-a", "fields not given are kept")

        let query = try await send(.POST, node.base + "/backbones", #"{"cluster_id": "cluster-a"}"#)
        #expect(query.json?.arrayValue?.map { $0["system_id"] } == [.string(id)])
        #expect(try await send(.POST, node.base + "/backbones", "{}").json?.arrayValue?.count == 2)
        #expect(try await HTTP.get(node.base + "/v1/backbones/other").json?["owner"]?.stringValue?.hasPrefix("dev/") == true)

        #expect(try await send(.DELETE, node.base + "/backbone/" + id).status == 200)
        #expect(try await HTTP.get(node.base + "/backbone/" + id).status == 404)
        #expect(try await send(.POST, node.base + "/backbones", #"{"cluster_id": "cluster-a"}"#).json == [])
        #expect(try await send(.DELETE, node.base + "/backbone/" + id).status == 404)

        // Bad input names what is wrong.
        let unknown = try await send(.POST, node.base + "/backbone", #"{"nmae": "x"}"#)
        #expect(unknown.status == 400)
        #expect(unknown.json?["pointer"] == "/nmae")
        #expect(try await send(.POST, node.base + "/backbone", #"{"metadata": 3}"#).status == 400)
        #expect(try await send(.POST, node.base + "/backbone", #"{"system_id": "a b"}"#).status == 400)
        #expect(try await send(.POST, node.base + "/backbone", "not json").json?["type"] == "https://plexus.dev/problems/invalid-json")
        #expect(try await send(.PUT, node.base + "/backbone/other", #"{"system_id": "else"}"#).status == 400)
        #expect(try await send(.POST, node.base + "/backbones", #"{"colour": "red"}"#).status == 400)
    }

    @Test func subjectsAndNodes() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        #expect(try await send(.PUT, node.base + "/v1/subjects/agent-1", #"{"kind": "agent", "card": {"skills": ["sql"]}}"#).status == 200)
        #expect(try await send(.PUT, node.base + "/v1/subjects/alice", #"{"kind": "human"}"#).status == 200)
        #expect(try await send(.PUT, node.base + "/v1/subjects/x", #"{"kind": "robot"}"#).status == 400)
        #expect(try await send(.PUT, node.base + "/v1/subjects/x", #"{"card": []}"#).status == 400)
        let subjects = try await HTTP.get(node.base + "/v1/subjects").json?["subjects"]?.arrayValue ?? []
        #expect(subjects.map { $0["id"] } == ["agent-1", "alice"])
        #expect(subjects.first?["card"] == ["skills": ["sql"]])
        #expect(subjects.first?["node"] == "dev/local/test")
        let one = try await HTTP.get(node.base + "/v1/subjects/alice")
        #expect(one.json?["homes"]?.arrayValue?.first?["kind"] == "human")
        #expect(try await send(.DELETE, node.base + "/v1/subjects/alice").status == 204)
        #expect(try await HTTP.get(node.base + "/v1/subjects/alice").status == 404)
        #expect(try await send(.DELETE, node.base + "/v1/subjects/alice").status == 404)

        let nodes = try await HTTP.get(node.base + "/v1/nodes").json?["nodes"]?.arrayValue ?? []
        #expect(nodes.count == 1)
        #expect(nodes.first?["id"] == "dev/local/test")
        #expect(nodes.first?["state"] == "alive")
        #expect(nodes.first?["http_url"] == .string(node.base))
        #expect(nodes.first?["certificate"] == nil, "the list leaves certificates out")
        let me = try await HTTP.get(node.base + "/v1/nodes/dev/local/test")
        #expect(me.json?["certificate"]?.stringValue?.isEmpty == false)
        #expect(try await HTTP.get(node.base + "/v1/nodes/dev/local/nobody").status == 404)
    }

    /// A node stopped gracefully leaves: its peers mark it `left` at once, never `dead`.
    @Test func gracefulStopIsSeenAsLeft() async throws {
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
        func stateOfB() async throws -> String? {
            try await HTTP.get(a.base + "/v1/mesh").json?["members"]?.arrayValue?.first { $0["id"] == "acme/c/b" }?["state"]?.stringValue
        }
        try await eventually("a sees b") { try await stateOfB() == "alive" }
        try await b.stop()
        try await eventually("a sees b left") { try await stateOfB() == "left" }
    }

    /// A write on one node is readable on another once gossip converges.
    @Test func writeOnOneNodeIsVisibleOnAnother() async throws {
        let ca = try MeshTestCA(organisation: "acme")
        var first = NodeConfiguration()
        try ca.configure(&first, node: "a")
        let a = try await TestNode.start { $0.identity = first.identity }
        defer { Task { try await a.stop() } }
        var second = NodeConfiguration()
        try ca.configure(&second, node: "b")
        let b = try await TestNode.start { c in
            c.identity = second.identity
            c.mesh.seeds = [a.meshAddress]
        }
        defer { Task { try await b.stop() } }
        try await eventually("b sees a") {
            try await HTTP.get(b.base + "/v1/mesh").json?["members"]?.arrayValue?.first?["state"] == "alive"
        }
        #expect(try await send(.POST, a.base + "/backbone", #"{"system_id": "shared", "name": "from-a"}"#).status == 201)
        try await eventually("b reads a's backbone") { try await HTTP.get(b.base + "/backbone/shared").json?["name"] == "from-a" }
        // Updated through b: b's newer entry wins on both nodes.
        #expect(try await send(.PUT, b.base + "/backbone/shared", #"{"name": "from-b"}"#).status == 200)
        try await eventually("a reads b's update") { try await HTTP.get(a.base + "/backbone/shared").json?["name"] == "from-b" }
        #expect(try await send(.DELETE, a.base + "/backbone/shared").status == 200)
        try await eventually("b sees the delete") { try await HTTP.get(b.base + "/backbone/shared").status == 404 }
    }
}
