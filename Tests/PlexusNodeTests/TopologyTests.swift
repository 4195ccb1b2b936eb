#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOHTTP1
import PlexusCore
import Testing

/// `plexus topology` end to end: five real node processes in two organisations, federated over
/// mutual TLS, with namespace enforcement, an untrusted intruder, a crash and a restart. Every
/// step polls for an eventual state with a generous timeout: this asserts what the mesh
/// converges to, never how fast (the machine may be busy with other builds and tests).
@Suite(.serialized) struct TopologyTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// One node as state.json records it.
    struct Node {
        var id: String
        var pid: Int32
        var http: String
        var mesh: String
    }

    let cli = CLITests()

    @Test func twoOrganisationsFederateRefuseIntrudersAndRecover() async throws {
        let dir = TestNode.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // `defer` cannot await: stop the topology on every path by hand, then rethrow.
        do {
            try await scenario(dir)
        } catch {
            _ = try? await cli.run(["topology", "down", "--dir", dir])
            forgetCurrent(dir)
            throw error
        }
        _ = try? await cli.run(["topology", "down", "--dir", dir])
        forgetCurrent(dir)
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// `up` records its root in `.plexus/topology/current` under the working directory (the
    /// package root here); a pointer to a deleted temporary directory would only confuse a later
    /// `plexus topology status`.
    private func forgetCurrent(_ dir: String) {
        let pointer = ".plexus/topology/current"
        guard let data = FileManager.default.contents(atPath: pointer),
              String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == dir else { return }
        try? FileManager.default.removeItem(atPath: pointer)
    }

    private func scenario(_ dir: String) async throws {
        // a. Five nodes start and every one sees the four others alive.
        let up = try await cli.run(["topology", "up", Self.repositoryRoot + "/topology/two-orgs.yaml", "--dir", dir, "--wait", "45"])
        try #require(up.status == 0, "topology up failed: \(up.err)")
        #expect(up.out.split(separator: "\n").count == 5)
        var nodes = try readState(dir)
        try #require(nodes.count == 5)
        let ids = Set(nodes.values.map(\.id))
        for node in nodes.values {
            try await eventually("\(node.id) sees the four others alive") {
                let states = try await memberStates(node)
                let expected = Dictionary(uniqueKeysWithValues: ids.subtracting([node.id]).map { ($0, "alive") })
                return states == expected ? nil : "members: \(states)"
            }
        }
        let acme = ["acme/eu1/n1", "acme/eu1/n2", "acme/us1/n1"].map { nodes[$0]! }
        let globex1 = nodes["globex/ap1/n1"]!, globex2 = nodes["globex/ap1/n2"]!

        // b. A backbone acme announces in its namespace reaches the other organisation.
        let created = try await HTTP.post(acme[0].http + "/backbone", #"{"system_id": "acme-bb-1", "name": "acme backbone", "cluster_id": "eu1"}"#)
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        try await eventually("globex/ap1/n2 knows backbone acme-bb-1") {
            let reply = try await HTTP.get(globex2.http + "/v1/backbones/acme-bb-1")
            return reply.status == 200 ? nil : "status \(reply.status)"
        }

        // c. globex announces one subject in its namespace and one outside it: acme takes only
        //    the first; globex's own nodes trust each other with everything.
        for id in ["acme.spy", "globex.ok"] {
            let put = try await HTTP.request(.PUT, globex1.http + "/v1/subjects/" + id, body: Array(#"{"kind": "agent", "card": {}}"#.utf8))
            #expect((200..<300).contains(put.status), "PUT \(id): \(put.status) \(String(decoding: put.body, as: UTF8.self))")
        }
        for node in acme {
            try await eventually("\(node.id) has globex.ok, refuses acme.spy and counts the refusal") {
                let ok = try await HTTP.get(node.http + "/v1/subjects/globex.ok").status
                let spy = try await HTTP.get(node.http + "/v1/subjects/acme.spy").status
                let refused = try await mesh(node)["registry"]?["rejected"]?["namespace"]?.integerValue ?? 0
                return ok == 200 && spy == 404 && refused >= 1 ? nil : "globex.ok \(ok), acme.spy \(spy), rejected.namespace \(refused)"
            }
        }
        try await eventually("globex/ap1/n2 has both subjects") {
            let ok = try await HTTP.get(globex2.http + "/v1/subjects/globex.ok").status
            let spy = try await HTTP.get(globex2.http + "/v1/subjects/acme.spy").status
            return ok == 200 && spy == 200 ? nil : "globex.ok \(ok), acme.spy \(spy)"
        }

        // d. A node with a certificate from a CA nobody trusts is refused at the handshake.
        try await intruderIsRefused(dir, nodes: Array(nodes.values))

        // e. kill -9: the others declare the node dead.
        let victim = nodes["acme/us1/n1"]!
        let survivors = nodes.values.filter { $0.id != victim.id }
        let oldGeneration = try await generation(of: victim.id, on: survivors[0])
        #expect(kill(victim.pid, SIGKILL) == 0)
        for node in survivors {
            try await eventually("\(node.id) reports \(victim.id) dead") {
                let state = try await memberStates(node)[victim.id]
                return state == "dead" ? nil : "state \(state ?? "absent")"
            }
        }

        // f. Restarted with the same config, it is alive again everywhere, as a new generation.
        let start = try await cli.run(["topology", "start", victim.id, "--dir", dir, "--wait", "45"])
        try #require(start.status == 0, "topology start failed: \(start.err)")
        nodes = try readState(dir)
        #expect(nodes[victim.id]?.pid != victim.pid)
        #expect(nodes[victim.id]?.mesh == victim.mesh)
        for node in survivors {
            try await eventually("\(node.id) reports \(victim.id) alive again, as a new generation") {
                let state = try await memberStates(node)[victim.id]
                let generation = try await generation(of: victim.id, on: node)
                return state == "alive" && generation != oldGeneration ? nil : "state \(state ?? "absent"), generation \(generation ?? "none") (was \(oldGeneration ?? "none"))"
            }
        }

        // g. status: JSON for machines, a table for people.
        let status = try await cli.run(["topology", "status", "--dir", dir, "--json"])
        #expect(status.status == 0, "\(status.err)")
        let report = try JSONParser.parse(status.out)
        #expect(report["topology"]?.stringValue == "two-orgs")
        let listed = report["nodes"]?.arrayValue ?? []
        #expect(listed.count == 5)
        #expect(listed.allSatisfy { $0["running"]?.boolValue == true && $0["mesh"]?["members"] != nil })
        let table = try await cli.run(["topology", "status", "--dir", dir])
        #expect(table.status == 0, "\(table.err)")
        #expect(table.out.contains("globex/ap1/n2"))

        // h. down stops every process.
        let down = try await cli.run(["topology", "down", "--dir", dir])
        #expect(down.status == 0, "\(down.err)")
        for node in try readState(dir).values {
            #expect(!isLive(node.pid), "\(node.id) (pid \(node.pid)) still runs after down")
        }
    }

    /// Step d: mallory, with its own CA, dials all five nodes; at least one refuses the handshake
    /// and none ever lists it as a member.
    private func intruderIsRefused(_ dir: String, nodes: [Node]) async throws {
        let pki = dir + "/mallory", identity = pki + "/m1"
        let initCA = try await cli.run(["identity", "init", "--org", "mallory", "--out", pki])
        try #require(initCA.status == 0, "identity init: \(initCA.err)")
        let issue = try await cli.run(["identity", "issue", "--ca", pki, "--node", "m1", "--cluster", "x", "--out", identity])
        try #require(issue.status == 0, "identity issue: \(issue.err)")
        let seeds = nodes.map { "\"\($0.mesh)\"" }.joined(separator: ", ")
        let config = """
            node: {name: mallory-x-m1}
            http: {host: 127.0.0.1, port: 0}
            data_dir: "\(pki)/data"
            log_level: info
            mesh: {listen: "127.0.0.1:0", seeds: [\(seeds)]}
            identity: {certificate: "\(identity)/node.pem", key: "\(identity)/node.key", signing_key: "\(identity)/signing.key", ca: "\(identity)/ca.pem"}
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: pki + "/node.yaml"))
        let mallory = try NodeProcess.start(["node", "run", "--config", pki + "/node.yaml"], log: pki + "/node.log")
        do {
            var admitted: [String] = []
            try await eventually("a topology node refuses mallory's handshake (log: \(pki)/node.log)") {
                var refused: Int64 = 0
                for node in nodes {
                    let view = try await mesh(node)
                    refused += view["transport"]?["handshakes_refused"]?.integerValue ?? 0
                    admitted += (view["members"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }.filter { $0.hasPrefix("mallory/") }.map { "\(node.id) lists \($0)" }
                }
                return refused >= 1 ? nil : "handshakes_refused \(refused) in total"
            }
            #expect(mallory.process.isRunning, "mallory exited early; see \(pki)/node.log")
            #expect(admitted.isEmpty, "\(admitted)")
        } catch {
            await stop(mallory)
            throw error
        }
        await stop(mallory)
    }

    /// SIGTERM and a wait off the cooperative pool.
    private func stop(_ node: NodeProcess) async {
        _ = await node.terminate()
    }

    /// Polls `check` every 250 ms until it returns nil (satisfied) or `timeout` passes; the failure
    /// names what was awaited and what was last seen.
    private func eventually(_ what: String, timeout: Duration = .seconds(45), _ check: () async throws -> String?) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer yet"
        while true {
            do {
                guard let problem = try await check() else { return }
                last = problem
            } catch {
                last = "\(error)"
            }
            if ContinuousClock.now >= deadline { throw TestFailure("gave up waiting until \(what); last seen: \(last)") }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    private func mesh(_ node: Node) async throws -> JSONValue {
        let reply = try await HTTP.get(node.http + "/v1/mesh")
        guard reply.status == 200, let json = reply.json else { throw TestFailure("\(node.id) /v1/mesh: status \(reply.status)") }
        return json
    }

    /// Member id → state, as `node` sees the mesh.
    private func memberStates(_ node: Node) async throws -> [String: String] {
        let members = try await mesh(node)["members"]?.arrayValue ?? []
        return Dictionary(members.map { ($0["id"]?.stringValue ?? "?", $0["state"]?.stringValue ?? "?") }, uniquingKeysWith: { a, _ in a })
    }

    /// The generation half of `id`'s node entry version (`generation.counter`) as `node` has it.
    private func generation(of id: String, on node: Node) async throws -> String? {
        let reply = try await HTTP.get(node.http + "/v1/nodes/" + id)
        return reply.json?["version"]?.stringValue?.split(separator: ".").first.map(String.init)
    }

    private func readState(_ dir: String) throws -> [String: Node] {
        let data = try #require(FileManager.default.contents(atPath: dir + "/state.json"), "no state.json in \(dir)")
        let nodes = try JSONParser.parse(Array(data))["nodes"]?.arrayValue ?? []
        return Dictionary(uniqueKeysWithValues: nodes.map { node in
            let id = node["id"]?.stringValue ?? "?"
            return (id, Node(id: id, pid: Int32(node["pid"]?.integerValue ?? 0), http: node["http_url"]?.stringValue ?? "",
                             mesh: node["mesh_address"]?.stringValue ?? ""))
        })
    }

    /// Alive and not a zombie (a killed node whose parent is gone may linger as one).
    private func isLive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].drop { $0 == " " }.first != "Z"
    }
}
