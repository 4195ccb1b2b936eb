import AsyncHTTPClient
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// nats-server processes on loopback, each with its config file in one temp dir, ports picked
/// free, and the HTTP monitor on so the links that actually formed, and what they carried, can be
/// read back (`/routez`, `/leafz`, `/varz`).
///
/// Two shapes, because NATS cluster routes form a full mesh: a server never forwards a message it
/// got from a route to another route, and servers gossip their route URLs so every pair connects.
/// A chain A–B–C configured as routes therefore carries A→C over a direct route, one hop. Leaf
/// nodes do not gossip: with B a hub and A, C its leaf nodes, A→C has to cross B, two hops like
/// a 3-node Plexus path n1→n2→n3.
final class NATSServerCluster: Sendable {
    enum Shape: String, Sendable, CaseIterable {
        /// The middle server is a hub (`leafnodes { listen }`), every other server its leaf node.
        case leafnodes
        /// One cluster, each server configured to route to its chain neighbours (gossip adds the rest).
        case routes
    }

    struct Server: Sendable {
        var name: String
        var clientPort: Int
        /// Where it listens for routes (routes) or for leaf nodes (the hub; unused on a leaf node).
        var linkPort: Int
        var monitorPort: Int
        var process: CollectedProcess
    }

    /// One route or leaf-node connection as seen from `from`.
    struct Link: Sendable, CustomStringConvertible {
        enum Kind: String, Sendable { case route, leaf }
        var kind: Kind
        var from: String
        var to: String
        /// In `from`'s config (a chain neighbour, a leaf node's remote), rather than learnt by gossip.
        var configured: Bool
        /// `from` dialled it, rather than accepted it.
        var solicited: Bool
        /// Messages over this link since it formed (route messages include interest updates), as
        /// `from` counts them: shows which links carried the benchmark's traffic.
        var inMsgs: Int
        var outMsgs: Int

        var description: String {
            let origin = kind == .route ? (configured ? "configured, " : "gossiped, ") : ""
            return "\(from)→\(to) (\(kind), \(origin)\(solicited ? "dialled" : "accepted"), in \(inMsgs) / out \(outMsgs) msgs)"
        }
    }

    let shape: Shape
    /// In the order of the names given (the chain A, B, C), whatever order they were launched in.
    let servers: [Server]
    /// The hub (leafnodes) or the chain's middle (routes): the server a two-hop path would cross.
    var middle: Server { servers[servers.count / 2] }
    /// Leaf-node peers by the port of their end of the connection: the hub's `/leafz` names a leaf
    /// node only by its address, and a leaf node's names the hub by the hub's listen port.
    let leafPeers: [Int: String]
    let directory: TempDirectory
    /// When the first process was launched, for the time the path took to come up.
    let launchedAt: ContinuousClock.Instant

    private init(shape: Shape, servers: [Server], leafPeers: [Int: String], directory: TempDirectory, launchedAt: ContinuousClock.Instant) {
        self.shape = shape
        self.servers = servers
        self.leafPeers = leafPeers
        self.directory = directory
        self.launchedAt = launchedAt
    }

    /// Starts one server per name in `shape`, each once the one before is ready (routes: listens
    /// for clients and routes; leafnodes: the hub listens, a leaf node's connection shows on the
    /// hub). If any fails to start, the ones already running are stopped.
    static func start(binary: String, names: [String], shape: Shape, clusterName: String = "plexus-bench") async throws -> NATSServerCluster {
        let directory = try TempDirectory("nats")
        var used: Set<Int> = []
        func port() throws -> Int {
            let picked = try FreePort.pick(udpToo: false, avoiding: used)
            used.insert(picked)
            return picked
        }
        var plans: [(name: String, client: Int, link: Int, monitor: Int)] = []
        do {
            for name in names { plans.append((name, try port(), try port(), try port())) }
        } catch {
            directory.remove()
            throw error
        }
        let hub = plans.count / 2
        // The hub first, so its leaf nodes find it listening.
        let order = shape == .leafnodes ? [hub] + plans.indices.filter { $0 != hub } : Array(plans.indices)
        var leafPeers: [Int: String] = shape == .leafnodes ? [plans[hub].link: plans[hub].name] : [:]
        let launchedAt = ContinuousClock.now
        var launched: [Int: Server] = [:]
        do {
            for index in order {
                let plan = plans[index]
                let links: String
                switch shape {
                case .routes:
                    let neighbours = [index - 1, index + 1].filter(plans.indices.contains).map { plans[$0].link }
                    links = """
                        cluster {
                          name: "\(clusterName)"
                          listen: "127.0.0.1:\(plan.link)"
                          routes: [\(neighbours.map { "\"nats://127.0.0.1:\($0)\"" }.joined(separator: ", "))]
                        }
                        """
                case .leafnodes:
                    links = index == hub
                        ? "leafnodes { listen: \"127.0.0.1:\(plan.link)\" }"
                        : "leafnodes { remotes = [{url: \"nats-leaf://127.0.0.1:\(plans[hub].link)\"}] }"
                }
                let config = directory.file("\(plan.name).conf")
                try """
                    server_name: "\(plan.name)"
                    listen: "127.0.0.1:\(plan.client)"
                    http: "127.0.0.1:\(plan.monitor)"
                    pid_file: "\(directory.file("\(plan.name).pid"))"
                    \(links)

                    """.write(toFile: config, atomically: true, encoding: .utf8)
                let process = try CollectedProcess(executable: binary, arguments: ["-c", config])
                MeshBenchReaper.register(process.pid)
                let server = Server(name: plan.name, clientPort: plan.client, linkPort: plan.link, monitorPort: plan.monitor, process: process)
                launched[index] = server
                // One at a time: a leaf node launched before the hub listens would retry only
                // after a second, and the leaf connection that appears on the hub is this one.
                try await process.waitForOutput(containing: "Server is ready", timeout: .seconds(15))
                if shape == .routes {
                    // "Server is ready" comes before the route listener opens.
                    try await process.waitForOutput(containing: "Listening for route connections", timeout: .seconds(15))
                } else if index != hub {
                    let port = try await Self.newLeaf(on: launched[hub]!, known: Set(leafPeers.keys), timeout: .seconds(15))
                    leafPeers[port] = plan.name
                }
            }
        } catch {
            await Self.stop(Array(launched.values))
            directory.remove()
            throw error
        }
        return NATSServerCluster(
            shape: shape, servers: plans.indices.compactMap { launched[$0] }, leafPeers: leafPeers, directory: directory, launchedAt: launchedAt)
    }

    /// The port of the first leaf connection on `hub` not in `known`, polled until one appears.
    private static func newLeaf(on hub: Server, known: Set<Int>, timeout: Duration) async throws -> Int {
        let watch = Stopwatch()
        while watch.elapsed < timeout {
            if let status = hub.process.exitStatus { throw BenchError("nats-server \(hub.name) exited with \(status)") }
            if let leafz = try? await monitor(LeafZ.self, port: hub.monitorPort, path: "/leafz"),
               let leaf = (leafz.leafs ?? []).first(where: { !known.contains($0.port) }) {
                return leaf.port
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("no new leaf-node connection on \(hub.name) within \(timeout)")
    }

    func server(_ name: String) -> Server? { servers.first { $0.name == name } }

    /// Every route and leaf-node connection each server reports, named by server (`/varz` gives
    /// each server's id, `/routez` the remote ids, `/leafz` only addresses: see `leafPeers`).
    func links() async throws -> [Link] {
        var names: [String: String] = [:]
        for server in servers {
            names[try await counters(server).serverID] = server.name
        }
        var links: [Link] = []
        for server in servers {
            let routez = try await Self.monitor(RouteZ.self, port: server.monitorPort, path: "/routez")
            for route in routez.routes ?? [] {
                links.append(Link(
                    kind: .route, from: server.name, to: names[route.remoteID] ?? route.remoteID,
                    configured: route.isConfigured ?? false, solicited: route.didSolicit ?? false,
                    inMsgs: route.inMsgs ?? 0, outMsgs: route.outMsgs ?? 0))
            }
            let leafz = try await Self.monitor(LeafZ.self, port: server.monitorPort, path: "/leafz")
            // Only leaf nodes dial (their remotes); the hub accepts.
            let dialled = server.name != middle.name
            for leaf in leafz.leafs ?? [] {
                links.append(Link(
                    kind: .leaf, from: server.name, to: leafPeers[leaf.port] ?? "\(leaf.ip):\(leaf.port)",
                    configured: dialled, solicited: dialled, inMsgs: leaf.inMsgs ?? 0, outMsgs: leaf.outMsgs ?? 0))
            }
        }
        return links
    }

    /// A server's id and its message counters over all its connections (clients, routes, leaf
    /// nodes), from `/varz`: what the middle server forwarded shows as both in and out.
    func counters(_ server: Server) async throws -> VarZ {
        try await Self.monitor(VarZ.self, port: server.monitorPort, path: "/varz")
    }

    /// Log lines (all servers, prefixed by name) containing `text`, e.g. "Slow Consumer".
    func logLines(containing text: String) -> [String] {
        servers.flatMap { server in
            server.process.output.split(separator: "\n").filter { $0.contains(text) }.map { "\(server.name): \($0)" }
        }
    }

    /// SIGTERM (nats-server shuts down cleanly on it), SIGKILL whoever has not exited in 5 s.
    func stop() async {
        await Self.stop(servers)
        directory.remove()
    }

    private static func stop(_ servers: [Server]) async {
        for server in servers { server.process.terminate() }
        for server in servers {
            // waitForExit SIGKILLs on timeout; a second wait then only collects the exit.
            if (try? await server.process.waitForExit(timeout: .seconds(5))) == nil {
                _ = try? await server.process.waitForExit(timeout: .seconds(5))
            }
            MeshBenchReaper.unregister(server.process.pid)
        }
    }

    /// `nats-server --version`'s output, e.g. "nats-server: v2.9.10".
    static func version(binary: String) async throws -> String {
        let process = try CollectedProcess(executable: binary, arguments: ["--version"])
        try await process.waitForExit(timeout: .seconds(10))
        return process.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // The monitor's field names, as nats-server 2.9 spells them.
    struct VarZ: Decodable, Sendable {
        var serverID: String
        var inMsgs: Int
        var outMsgs: Int
        enum CodingKeys: String, CodingKey { case serverID = "server_id", inMsgs = "in_msgs", outMsgs = "out_msgs" }
    }

    private struct LeafZ: Decodable {
        struct Leaf: Decodable {
            var ip: String
            var port: Int
            var inMsgs: Int?
            var outMsgs: Int?
            enum CodingKeys: String, CodingKey { case ip, port, inMsgs = "in_msgs", outMsgs = "out_msgs" }
        }
        var leafs: [Leaf]?
    }

    private struct RouteZ: Decodable {
        struct Route: Decodable {
            var remoteID: String
            var didSolicit: Bool?
            var isConfigured: Bool?
            var inMsgs: Int?
            var outMsgs: Int?
            enum CodingKeys: String, CodingKey {
                case remoteID = "remote_id", didSolicit = "did_solicit", isConfigured = "is_configured"
                case inMsgs = "in_msgs", outMsgs = "out_msgs"
            }
        }
        var routes: [Route]?
    }

    private static func monitor<T: Decodable>(_ type: T.Type, port: Int, path: String) async throws -> T {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 4 << 20)
        guard response.status == .ok else { throw BenchError("nats-server monitor \(path) on \(port): HTTP \(response.status.code)") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw BenchError("nats-server monitor \(path) on \(port): \(error)")
        }
    }
}
