import AsyncHTTPClient
import Foundation
import NIOCore
import PlexusCore
import PlexusIdentity

#if canImport(Glibc)
import Glibc
#endif

/// Real `plexus node run` processes (release build) for the routing benchmark: one organisation
/// (`bench`) and cluster (`c`), each node with its CA-issued certificate (node id
/// `bench/c/<name>`), its own data directory and a `mesh.neighbors` list, so the forwarding path
/// is exactly the one configured. Every node's seed is the first node; membership gossip still
/// reaches all of them. Ports are 0; each node's ready file says which it got.
final class RoutingCluster: Sendable {
    struct Node: Sendable {
        var name: String
        var process: CollectedProcess
        var directory: String
        var httpPort: Int
        var meshAddress: String

        var id: String { RoutingCluster.id(name) }
        var base: String { "http://127.0.0.1:\(httpPort)" }
    }

    let nodes: [Node]
    let root: TempDirectory

    static func id(_ name: String) -> String { "bench/c/\(name)" }

    private init(nodes: [Node], root: TempDirectory) {
        self.nodes = nodes
        self.root = root
    }

    func node(_ name: String) -> Node {
        guard let node = nodes.first(where: { $0.name == name }) else { preconditionFailure("no node \(name) in the routing cluster") }
        return node
    }

    /// Starts one process per entry of `neighbors` (name → the names it exchanges data with), in
    /// the order of `names`, each once the one before has written its ready file. `synchronous`:
    /// the store's `synchronous` setting (nil: the default, full).
    static func start(binary: String, names: [String], neighbors: [String: [String]], synchronous: String?,
                      label: String) async throws -> RoutingCluster {
        let root = try TempDirectory("routing-\(label)")
        let ca = try OrganisationCA.create(organisation: "bench")
        var started: [Node] = []
        do {
            for name in names {
                let directory = root.file(name)
                try ca.issue(node: name, cluster: "c").write(to: directory)
                let files = NodeIdentity.files(in: directory)
                let seeds = started.first.map { "[\"\($0.meshAddress)\"]" } ?? "[]"
                let peers = (neighbors[name] ?? []).map { "\"\(id($0))\"" }.joined(separator: ", ")
                let store = synchronous.map { "store: {synchronous: \($0)}\n" } ?? ""
                let yaml = """
                    node: {name: \(name)}
                    http: {host: 127.0.0.1, port: 0}
                    data_dir: \(directory)/data
                    log_level: warning
                    \(store)mesh:
                      listen: "127.0.0.1:0"
                      seeds: \(seeds)
                      neighbors: [\(peers)]
                    identity: {certificate: \(files.certificate), key: \(files.key), signing_key: \(files.signingKey), ca: \(files.ca)}

                    """
                try yaml.write(toFile: directory + "/node.yaml", atomically: true, encoding: .utf8)
                let process = try CollectedProcess(executable: binary, arguments: [
                    "node", "run", "--config", directory + "/node.yaml", "--ready-file", directory + "/ready.json",
                ])
                MeshBenchReaper.register(process.pid)
                let (http, mesh) = try await waitReady(process, readyFile: directory + "/ready.json", name: name)
                started.append(Node(name: name, process: process, directory: directory, httpPort: http, meshAddress: mesh))
            }
        } catch {
            await stop(started, root: root)
            throw error
        }
        return RoutingCluster(nodes: started, root: root)
    }

    private static func waitReady(_ process: CollectedProcess, readyFile: String, name: String) async throws -> (Int, String) {
        let watch = Stopwatch()
        while watch.elapsed < .seconds(30) {
            if let status = process.exitStatus {
                throw BenchError("plexus node \(name) exited with \(status): \(process.output.suffix(600))")
            }
            if let data = FileManager.default.contents(atPath: readyFile),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let http = object["http_url"] as? String, let mesh = object["mesh_address"] as? String, !mesh.isEmpty,
               let port = http.split(separator: ":").last.flatMap({ Int($0) }) {
                return (port, mesh)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchError("plexus node \(name) wrote no ready file within 30 s: \(process.output.suffix(600))")
    }

    // MARK: - Reading the nodes

    /// `GET path` on `name`, parsed.
    func get(_ name: String, _ path: String) async throws -> (status: Int, json: JSONValue?) {
        let url = node(name).base + path
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), try? JSONParser.parse(Array(body.readableBytesView)))
    }

    /// `name`'s `/v1/routes`: the next hop per destination, the outbox and the forwarding counters.
    func routes(_ name: String) async throws -> RoutingNodeCounters {
        let (status, json) = try await get(name, "/v1/routes")
        guard status == 200, let json else { throw BenchError("GET /v1/routes on \(name): HTTP \(status)") }
        return RoutingNodeCounters(json)
    }

    /// Until `from`'s route to `to` goes through `via` (the chain's next node).
    func waitForRoute(from: String, to: String, via: String, timeout: Duration = .seconds(60)) async throws {
        let watch = Stopwatch()
        var last = RoutingNodeCounters(.null)
        while watch.elapsed < timeout {
            last = try await routes(from)
            if last.nextHops[Self.id(to)] == Self.id(via) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("\(from) has no route to \(to) via \(via) after \(timeout): next hops \(last.nextHops)")
    }

    /// Until `name` knows where `subject` is attached (its home is in the gossiped registry).
    func waitForSubject(_ subject: String, knownAt name: String, timeout: Duration = .seconds(30)) async throws {
        let watch = Stopwatch()
        while watch.elapsed < timeout {
            if try await get(name, "/v1/subjects/\(subject)").status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("\(name) did not learn subject \(subject)'s home within \(timeout)")
    }

    /// CPU seconds each node process has used so far, by name.
    func cpuSeconds() -> [String: Double] {
        Dictionary(uniqueKeysWithValues: nodes.compactMap { n in ProcStat.cpuSeconds(n.process.pid).map { (n.name, $0) } })
    }

    /// Seconds each node's threads have waited for a CPU so far (`ProcStat.runQueueWaitSeconds`).
    func runQueueWaitSeconds() -> [String: Double] {
        Dictionary(uniqueKeysWithValues: nodes.compactMap { n in ProcStat.runQueueWaitSeconds(n.process.pid).map { (n.name, $0) } })
    }

    /// `name`'s log writer totals from `GET /healthz` (`store.writer`); nil from a node binary
    /// older than those totals (an A/B run against an earlier build), which then go unreported.
    func logWriter(_ name: String) async throws -> LogWriterReading? {
        let (status, json) = try await get(name, "/healthz")
        guard status == 200 else { throw BenchError("GET /healthz on \(name): HTTP \(status)") }
        return json?["store"]?["writer"].map(LogWriterReading.init)
    }

    func residentMiB() -> [String: Double] {
        Dictionary(uniqueKeysWithValues: nodes.compactMap { n in ProcStat.residentMiB(n.process.pid).map { (n.name, $0) } })
    }

    /// Log lines the nodes printed (warnings and errors: they run at `warning`), for the report.
    func warnings() -> [String] {
        nodes.flatMap { n in n.process.output.split(separator: "\n").map { "\(n.name): \($0)" } }
    }

    func stop() async {
        await Self.stop(nodes, root: root)
    }

    /// SIGTERM (a graceful stop drains the store), SIGKILL after 10 s; removes the data.
    private static func stop(_ nodes: [Node], root: TempDirectory) async {
        for n in nodes { n.process.terminate() }
        for n in nodes {
            _ = try? await n.process.waitForExit(timeout: .seconds(10))
            MeshBenchReaper.unregister(n.process.pid)
        }
        root.remove()
    }
}
