import AsyncHTTPClient
import Foundation
import NIOCore
import PlexusIdentity

#if canImport(Glibc)
import Glibc
#endif

/// Real `plexus node run` processes, one organisation (`bench`) and cluster (`c`), each with its
/// own CA-issued certificate and data directory; the first node is every other node's seed.
/// Ports are all 0 (the node picks); the ready file says which it got. Views come from each
/// node's `GET /v1/mesh` over AsyncHTTPClient's keep-alive pool.
final class PlexusCluster: MeshCluster {
    struct Node: Sendable {
        var process: CollectedProcess
        var directory: String
        var httpURL: String?
        var meshAddress: String?
        var killed = false
    }

    struct State: Sendable {
        var nodes: [String: Node] = [:]
        var order: [String] = []
        var seed: String?
    }

    let system = "Plexus"
    private let binary: String
    private let root: TempDirectory
    private let ca: OrganisationCA
    private let state = Locked(State())

    init(binary: String) throws {
        self.binary = binary
        root = try TempDirectory("mesh-plexus")
        ca = try OrganisationCA.create(organisation: "bench")
    }

    var liveNodes: [String] {
        state.withLock { s in s.order.filter { s.nodes[$0]?.killed == false } }
    }

    func launch(_ name: String) async throws -> ContinuousClock.Instant {
        let directory = root.file(name)
        try ca.issue(node: name, cluster: "c").write(to: directory)
        let files = NodeIdentity.files(in: directory)
        let seed = state.withLock { $0.seed }
        let seeds = seed.map { "[\"\($0)\"]" } ?? "[]"
        let yaml = """
            node: {name: \(name)}
            http: {host: 127.0.0.1, port: 0}
            data_dir: \(directory)/data
            log_level: warning
            mesh: {listen: "127.0.0.1:0", seeds: \(seeds)}
            identity: {certificate: \(files.certificate), key: \(files.key), signing_key: \(files.signingKey), ca: \(files.ca)}

            """
        try yaml.write(toFile: directory + "/node.yaml", atomically: true, encoding: .utf8)
        let start = ContinuousClock.now
        let process = try CollectedProcess(executable: binary, arguments: [
            "node", "run", "--config", directory + "/node.yaml", "--ready-file", directory + "/ready.json",
        ])
        MeshBenchReaper.register(process.pid)
        state.withLock { s in
            s.nodes[name] = Node(process: process, directory: directory)
            s.order.append(name)
        }
        return start
    }

    func waitReady(_ name: String, timeout: Duration) async throws -> ContinuousClock.Instant {
        let watch = Stopwatch()
        while watch.elapsed < timeout {
            if try readReadyFile(name) {
                if state.withLock({ $0.seed == nil }) {
                    let address = state.withLock { $0.nodes[name]?.meshAddress }
                    state.withLock { $0.seed = address }
                }
                return ContinuousClock.now
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BenchError("Plexus node \(name) wrote no ready file within \(timeout)")
    }

    /// Reads the ready file once; true when the node has one. Throws if the process exited.
    private func readReadyFile(_ name: String) throws -> Bool {
        guard let node = state.withLock({ $0.nodes[name] }) else { throw BenchError("no Plexus node \(name)") }
        if node.httpURL != nil { return true }
        if let status = node.process.exitStatus {
            throw BenchError("Plexus node \(name) exited with \(status): \(node.process.output.suffix(600))")
        }
        guard let data = FileManager.default.contents(atPath: node.directory + "/ready.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let http = object["http_url"] as? String, let mesh = object["mesh_address"] as? String, !mesh.isEmpty
        else { return false }
        state.withLock { s in
            s.nodes[name]?.httpURL = http
            s.nodes[name]?.meshAddress = mesh
        }
        return true
    }

    private struct MeshResponse: Decodable {
        struct Member: Decodable {
            var id: String
            var state: String
        }
        var members: [Member]
    }

    func view(of name: String) async throws -> MembershipView {
        guard try readReadyFile(name), let url = state.withLock({ $0.nodes[name]?.httpURL }) else {
            throw BenchError("Plexus node \(name) is not ready")
        }
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/v1/mesh"), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 4 << 20)
        guard response.status == .ok else { throw BenchError("GET \(url)/v1/mesh: \(response.status)") }
        let decoded = try JSONDecoder().decode(MeshResponse.self, from: Data(body.readableBytesView))
        var view: MembershipView = [:]
        for member in decoded.members {
            // Ids are `bench/c/<name>`; the view is keyed by the bare name, like Serf's.
            let short = member.id.split(separator: "/").last.map(String.init) ?? member.id
            view[short] = MemberState(rawValue: member.state)
        }
        return view
    }

    func kill(_ name: String) {
        guard let node = state.withLock({ s -> Node? in
            s.nodes[name]?.killed = true
            return s.nodes[name]
        }) else { return }
        node.process.terminate(signal: SIGKILL)
    }

    func wirePorts() -> [Int] {
        state.withLock { s in
            s.order.compactMap { s.nodes[$0] }.filter { !$0.killed }
                .compactMap { $0.meshAddress?.split(separator: ":").last.flatMap { Int($0) } }
        }
    }

    func livePIDs() -> [Int32] {
        state.withLock { s in s.order.compactMap { s.nodes[$0] }.filter { !$0.killed }.map(\.process.pid) }
    }

    func shutdown() async {
        let nodes = state.withLock { s in
            let nodes = Array(s.nodes.values)
            for name in s.order { s.nodes[name]?.killed = true }
            return nodes
        }
        for node in nodes { node.process.terminate(signal: SIGKILL) }
        for node in nodes {
            _ = try? await node.process.waitForExit(timeout: .seconds(10))
            MeshBenchReaper.unregister(node.process.pid)
        }
        root.remove()
    }
}
