#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import PlexusCore
import PlexusIdentity
import PlexusSim

/// Turns a topology file into running node processes under one root directory:
///
/// ```
/// <root>/state.json
/// <root>/ca/<org>/{ca.pem,ca.key}
/// <root>/nodes/<org>/<cluster>/<name>/{identity/,data/,node.yaml,node.log,ready.json}
/// ```
///
/// CAs and node identities are reused when present, so a topology brought `down` and `up` again
/// keeps its node ids and keys (and its data). Nodes are separate processes of this executable,
/// the same `plexus node run` an operator would start by hand.
struct TopologyLauncher {
    /// Absolute root directory of the topology's state.
    var root: String

    /// Creates (or reuses) CAs and identities, picks ports and writes every node.yaml. The
    /// returned state lists the nodes, none of them started yet.
    func prepare(_ topology: Topology, file: String) throws -> TopologyState {
        var freshCAs = Set<String>()
        var authorities: [String: OrganisationCA] = [:]
        for organisation in topology.organisations {
            let directory = "\(root)/ca/\(organisation.name)"
            authorities[organisation.name] = try identityStep("the CA of \(organisation.name)") {
                if FileManager.default.fileExists(atPath: directory + "/ca.key") {
                    return try OrganisationCA.load(from: directory)
                }
                let ca = try OrganisationCA.create(organisation: organisation.name)
                try ca.write(to: directory)
                freshCAs.insert(organisation.name)
                return ca
            }
        }

        let layout = topology.organisations.flatMap { org in
            org.clusters.flatMap { cluster in cluster.nodes.map { (org: org.name, cluster: cluster.name, name: $0) } }
        }
        let ports = try Self.freePorts(2 * layout.count)
        var nodes: [TopologyState.Node] = []
        for (i, place) in layout.enumerated() {
            let dir = "\(root)/nodes/\(place.org)/\(place.cluster)/\(place.name)"
            nodes.append(TopologyState.Node(
                id: "\(place.org)/\(place.cluster)/\(place.name)", organisation: place.org, cluster: place.cluster, name: place.name,
                pid: 0, running: false, httpURL: "http://127.0.0.1:\(ports[2 * i])", meshAddress: "127.0.0.1:\(ports[2 * i + 1])",
                dir: dir, config: dir + "/node.yaml"))
        }
        // Every node dials the first node of every organisation; the core drops its own address.
        let seeds = topology.organisations.compactMap { org in nodes.first { $0.organisation == org.name }?.meshAddress }

        for node in nodes {
            let identityDir = node.dir + "/identity"
            let files = NodeIdentity.files(in: identityDir)
            let complete = [files.certificate, files.key, files.signingKey, files.ca].allSatisfy { FileManager.default.fileExists(atPath: $0) }
            // A new CA means the old certificates no longer chain to what the others trust.
            if !complete || freshCAs.contains(node.organisation), let ca = authorities[node.organisation] {
                try identityStep("the identity of \(node.id)") {
                    try ca.issue(node: node.name, cluster: node.cluster).write(to: identityDir)
                }
            }
            let trust = topology.organisations.filter { $0.name != node.organisation }.map {
                TopologyNodeConfig.Trust(ca: "\(root)/ca/\($0.name)/ca.pem", namespace: $0.grantedNamespace)
            }
            let config = TopologyNodeConfig(
                name: "\(node.organisation)-\(node.cluster)-\(node.name)", httpPort: Int(node.httpURL.split(separator: ":").last ?? "") ?? 0,
                dataDir: node.dir + "/data", meshAddress: node.meshAddress, seeds: seeds,
                identity: files, trust: trust, source: file)
            do {
                try FileManager.default.createDirectory(atPath: node.dir + "/data", withIntermediateDirectories: true)
                try Data(config.yaml.utf8).write(to: URL(fileURLWithPath: node.config), options: .atomic)
            } catch {
                throw CLIError("cannot write \(node.config): \(error.localizedDescription)")
            }
        }
        return TopologyState(topology: topology.name, file: file, nodes: nodes)
    }

    /// Starts the nodes at `indices` (removing stale ready files first), recording their pids.
    func launch(_ state: inout TopologyState, indices: [Int]) throws {
        let executable = DetachedProcess.ownExecutable
        for i in indices {
            let node = state.nodes[i]
            try? FileManager.default.removeItem(atPath: node.readyFile)
            appendToLog(node.log, "--- plexus topology: starting \(node.id) at \(Date()) ---\n")
            state.nodes[i].pid = try DetachedProcess.spawn(
                executable, ["node", "run", "--config", node.config, "--ready-file", node.readyFile], log: node.log)
            state.nodes[i].running = true
        }
    }

    /// Polls every 100 ms until each node at `indices` has written its ready file, then records
    /// the addresses it reports. Fails after `seconds`, or as soon as a node exits, naming the
    /// nodes that did not start and where their logs are.
    func waitUntilReady(_ state: inout TopologyState, indices: [Int], seconds: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var pending = indices
        var exited: [Int] = []
        while !pending.isEmpty {
            pending.removeAll { i in
                if let ready = readyFile(state.nodes[i].readyFile) {
                    state.nodes[i].pid = ready.pid
                    state.nodes[i].httpURL = ready.httpURL
                    state.nodes[i].meshAddress = ready.meshAddress
                    return true
                }
                if DetachedProcess.reapIfExited(state.nodes[i].pid) {
                    state.nodes[i].running = false
                    exited.append(i)
                    return true
                }
                return false
            }
            if pending.isEmpty || !exited.isEmpty || ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard pending.isEmpty && exited.isEmpty else {
            let lines = exited.map { "  \(state.nodes[$0].id) exited; log: \(state.nodes[$0].log)\(lastLine(state.nodes[$0].log))" }
                + pending.map { "  \(state.nodes[$0].id) not ready after \(seconds) s; log: \(state.nodes[$0].log)" }
            throw CLIError("""
                \(exited.count + pending.count) of \(indices.count) nodes did not start:
                \(lines.joined(separator: "\n"))
                nodes that did start keep running: `plexus topology down --dir \(root)` stops them
                """)
        }
    }

    /// `count` distinct free TCP ports on 127.0.0.1: every socket stays bound until all are
    /// chosen, so the kernel cannot hand out the same port twice.
    static func freePorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [Int] = []
        for _ in 0..<count {
            #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
            #endif
            guard fd >= 0 else { throw CLIError("cannot open a socket to find a free port: \(String(cString: strerror(errno)))") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard bound else { throw CLIError("cannot bind 127.0.0.1:0 to find a free port: \(String(cString: strerror(errno)))") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    private func readyFile(_ path: String) -> (pid: Int32, httpURL: String, meshAddress: String)? {
        guard let data = FileManager.default.contents(atPath: path), let json = try? JSONParser.parse(Array(data)),
              let pid = json["pid"]?.integerValue, let http = json["http_url"]?.stringValue else { return nil }
        return (Int32(truncatingIfNeeded: pid), http, json["mesh_address"]?.stringValue ?? "")
    }

    private func appendToLog(_ path: String, _ line: String) {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(line.utf8))
    }

    /// The log's last non-empty line, usually the error a node died of.
    private func lastLine(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        let last = String(decoding: data.suffix(2_000), as: UTF8.self).split(separator: "\n").last { !$0.allSatisfy(\.isWhitespace) }
        return last.map { "\n      \($0)" } ?? ""
    }

    /// Runs a PlexusIdentity step, turning its errors into a message that says which step failed.
    private func identityStep<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as IdentityError {
            throw CLIError("cannot create \(what): \(error.message)")
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("cannot create \(what): \(error)")
        }
    }
}
