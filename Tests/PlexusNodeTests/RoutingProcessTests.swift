#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PlexusCore
import PlexusTestSupport
import Testing

/// Store-and-forward between real node processes over mutual TLS: five nodes in a chain
/// n1–n2–n3–n4–n5 with one shortcut n2–n4 that both ends declare expensive (`link_costs`), so
/// traffic takes the chain through n3 and the shortcut is the backup. Agent A on n1 sends
/// 10,000 messages to agent B on n5 while n3 is killed with SIGKILL and later restarted. B must
/// receive every acknowledged message exactly once, and every node on each message's path must
/// have logged it with its role.
@Suite(.serialized) struct RoutingProcessTests {
    let cli = CLITests()

    struct Node {
        var name: String
        var http: Int
        var mesh: Int
        var config: String
        var process: ChildProcess?
        var base: String { "http://127.0.0.1:\(http)" }
        var id: String { "acme/c1/\(name)" }
    }

    static let neighbours: [String: [String]] = [
        "n1": ["n2"], "n2": ["n1", "n3", "n4"], "n3": ["n2", "n4"], "n4": ["n3", "n5", "n2"], "n5": ["n4"],
    ]

    @Test func chainWithShortcutDeliversEveryMessageOnceThroughARelayCrash() async throws {
        let dir = TestNode.temporaryDirectory()
        var nodes = try await prepare(dir)
        let clean: Bool
        do {
            clean = try await scenario(&nodes)
        } catch {
            for node in nodes { node.process.map(Self.kill9) }
            print("node logs kept in \(dir)")
            throw error
        }
        for node in nodes { node.process.map(Self.kill9) }
        if clean { try? FileManager.default.removeItem(atPath: dir) } else { print("node logs kept in \(dir)") }
    }

    /// Returns whether B got everything once (else the node logs are kept for a look).
    private func scenario(_ nodes: inout [Node]) async throws -> Bool {
        for i in nodes.indices { nodes[i].process = try start(nodes[i]) }
        for node in nodes { try await waitForHTTP(node) }
        // Every node has the route to n5 it should: n1→n2, n2→n3 (the shortcut is dearer), n4→n5.
        try await eventually("routes converge on the chain", seconds: 60) {
            let atN2 = try await nextHops(nodes[1]), atN1 = try await nextHops(nodes[0])
            return atN2["acme/c1/n5"] == "acme/c1/n3" && atN1["acme/c1/n5"] == "acme/c1/n2"
        }

        let b = WSTestClient(url: "ws://127.0.0.1:\(nodes[4].http)/v1/subjects/agent-b/session")
        defer { b.stop() }
        // B's home must be known at n1 before A sends (otherwise A's messages wait at n1 until it is).
        try await eventually("n1 knows agent-b's home") {
            try await HTTP.get(nodes[0].base + "/v1/subjects/agent-b").status == 200
        }
        let receiver = Task { try await receive(b, expecting: 10_000) }

        var accepted: [String] = []
        for batch in 0..<100 {
            if batch == 30 { nodes[2].process.map(Self.kill9) }
            if batch == 60 { nodes[2].process = try start(nodes[2]) }
            let body = JSONValue.array((0..<100).map { i in
                ["topic": "chat.b", "source_subject_id": "agent-a", "destination_subject_ids": ["agent-b"],
                 "data": ["batch": .integer(Int64(batch)), "i": .integer(Int64(i)), "text": .string(String(repeating: "x", count: 200))]]
            })
            let reply = try await HTTP.post(nodes[0].base + "/v1/messages", json: body)
            try #require(reply.status == 202, "batch \(batch): \(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
            accepted += reply.json?["message_uuids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        #expect(accepted.count == 10_000)

        let received = try await receiver.value
        #expect(received.count == 10_000, "B received \(received.count) distinct messages")
        if received.count < 10_000 { try await explain(missing: accepted.filter { received[$0] == nil }, nodes) }
        #expect(received.values.allSatisfy { $0 == 1 }, "duplicates: \(received.filter { $0.value > 1 }.count)")
        #expect(accepted.filter { received[$0] == nil }.isEmpty, "accepted but never received")

        // The logs agree with the paths: a sample of messages, read on every node of their path.
        var viaN3 = 0, viaShortcut = 0
        for id in accepted.enumerated().filter({ $0.offset % 100 == 0 }).map(\.element) {
            let atB = try #require(try await HTTP.get(nodes[4].base + "/v1/messages/" + id).json)
            let path = atB["route"]?["path"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(path.first == "acme/c1/n1" && path.last == "acme/c1/n5", "path \(path)")
            #expect(atB["route"]?["role"] == "destination")
            if path.contains("acme/c1/n3") { viaN3 += 1 } else { viaShortcut += 1 }
            for (index, hop) in path.enumerated() {
                let node = try #require(nodes.first { $0.id == hop })
                let logged = try await HTTP.get(node.base + "/v1/messages/" + id)
                #expect(logged.status == 200, "\(hop) did not log \(id)")
                let role = logged.json?["route"]?["role"]?.stringValue
                #expect(role == (index == 0 ? "origin" : index == path.count - 1 ? "destination" : "relay"), "\(hop): \(role ?? "-")")
            }
        }
        // Both paths carried traffic: the chain while n3 was up, the shortcut while it was down.
        #expect(viaN3 > 0)
        #expect(viaShortcut > 0)
        // Nothing is left waiting in any outbox.
        for node in nodes {
            try await eventually("\(node.name)'s outbox drains") {
                (try await HTTP.get(node.base + "/v1/routes")).json?["outbox"] == 0
            }
        }
        return received.count == 10_000 && received.values.allSatisfy { $0 == 1 }
    }

    /// Counts B's messages by uuid, acknowledging each, until `expecting` distinct ones arrived
    /// (or 240 s passed: then the connection is cut and the count is what it is).
    private func receive(_ client: WSTestClient, expecting: Int) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        let watchdog = Task {
            try await Task.sleep(for: .seconds(240))
            client.stop()
        }
        defer { watchdog.cancel() }
        for await frame in client.received {
            guard let id = (try? JSONParser.parse(frame))?["message_uuid"]?.stringValue else { continue }
            counts[id, default: 0] += 1
            client.send(#"{"ack": "\#(id)"}"#)
            if counts.count == expecting { break }
        }
        // A duplicate would arrive right behind; give it a moment to show.
        try await Task.sleep(for: .seconds(2))
        return counts
    }

    /// For a failure report: where the first missing messages got to, and each node's counters.
    private func explain(missing: [String], _ nodes: [Node]) async throws {
        for node in nodes {
            let routes = try await HTTP.get(node.base + "/v1/routes").json
            print("\(node.name): outbox \(routes?["outbox"].map { "\($0)" } ?? "?") forwarding \(routes?["forwarding"].map { "\($0)" } ?? "?")")
        }
        for id in missing.prefix(5) {
            var seen: [String] = []
            for node in nodes where (try await HTTP.get(node.base + "/v1/messages/" + id)).status == 200 { seen.append(node.name) }
            print("missing \(id): logged at \(seen)")
        }
        print("missing \(missing.count) in all")
    }

    private func nextHops(_ node: Node) async throws -> [String: String] {
        let routes = try await HTTP.get(node.base + "/v1/routes").json?["routes"]?.arrayValue ?? []
        return Dictionary(uniqueKeysWithValues: routes.compactMap { r in
            r["destination"]?.stringValue.flatMap { d in r["next_hop"]?.stringValue.map { (d, $0) } }
        })
    }

    // MARK: - Processes

    private func prepare(_ dir: String) async throws -> [Node] {
        let ca = dir + "/ca"
        let initCA = try await cli.run(["identity", "init", "--org", "acme", "--out", ca])
        try #require(initCA.status == 0, "\(initCA.err)")
        var nodes: [Node] = []
        for i in 1...5 {
            nodes.append(Node(name: "n\(i)", http: try Self.freePort(), mesh: try Self.freePort(), config: "\(dir)/n\(i).yaml"))
        }
        for node in nodes {
            let out = "\(dir)/\(node.name)/identity"
            let issued = try await cli.run(["identity", "issue", "--ca", ca, "--node", node.name, "--cluster", "c1", "--out", out])
            try #require(issued.status == 0, "\(issued.err)")
            let neighbours = Self.neighbours[node.name]!.map { "\"acme/c1/\($0)\"" }.joined(separator: ", ")
            let costs = node.name == "n2" ? "  link_costs: {\"acme/c1/n4\": 50}\n" : node.name == "n4" ? "  link_costs: {\"acme/c1/n2\": 50}\n" : ""
            let yaml = """
            node: {name: "\(node.name)"}
            http: {host: "127.0.0.1", port: \(node.http)}
            data_dir: "\(dir)/\(node.name)/data"
            log_level: info
            mesh:
              listen: "127.0.0.1:\(node.mesh)"
              seeds: ["127.0.0.1:\(nodes[node.name == "n1" ? 1 : 0].mesh)"]
              neighbors: [\(neighbours)]
            \(costs)identity:
              certificate: "\(out)/node.pem"
              key: "\(out)/node.key"
              signing_key: "\(out)/signing.key"
              ca: "\(out)/ca.pem"

            """
            try yaml.write(toFile: node.config, atomically: true, encoding: .utf8)
        }
        return nodes
    }

    private func start(_ node: Node) throws -> ChildProcess {
        // Each start appends to the node's log file: read on failure.
        let log = node.config.replacingOccurrences(of: ".yaml", with: ".log")
        return try ChildProcess(NodeProcess.executable, ["node", "run", "--config", node.config], stdout: .file(log), stderr: .stdout)
    }

    private func waitForHTTP(_ node: Node) async throws {
        try await eventually("\(node.name) serves HTTP") {
            (try? await HTTP.get(node.base + "/healthz"))?.status == 200
        }
    }

    static func kill9(_ process: ChildProcess) { process.kill9() }

    /// A port for a node (`FreePort`: outside the ephemeral range, never handed out twice).
    static func freePort() throws -> Int { try FreePort.next() }
}
