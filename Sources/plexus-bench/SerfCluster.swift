import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Real `serf agent` processes with Serf's defaults (memberlist's LAN profile, the same reference
/// Plexus's `lan` settings follow), the first agent every other agent's `-join`. Each agent gets a
/// free bind port (TCP and UDP) and RPC port; views come from a persistent `SerfRPCClient` per
/// agent. Serf's `failed` maps to `dead`, `leaving` to `alive` (it still is, until `left`).
final class SerfCluster: MeshCluster {
    struct Node: Sendable {
        var process: CollectedProcess
        var bindPort: Int
        var rpcPort: Int
        var rpc: SerfRPCClient?
        var killed = false
    }

    struct State: Sendable {
        var nodes: [String: Node] = [:]
        var order: [String] = []
        /// Ports handed out and not yet bound by their agent, so two launches never pick the same.
        var usedPorts: Set<Int> = []
    }

    let system = "Serf"
    private let binary: String
    private let state = Locked(State())

    init(binary: String) {
        self.binary = binary
    }

    var liveNodes: [String] {
        state.withLock { s in s.order.filter { s.nodes[$0]?.killed == false } }
    }

    func launch(_ name: String) async throws -> ContinuousClock.Instant {
        let picked = state.withLock { s -> Result<(Int, Int, Int?), BenchError> in
            Result { () throws(BenchError) in
                let bind = try FreePort.pick(udpToo: true, avoiding: s.usedPorts)
                s.usedPorts.insert(bind)
                let rpc = try FreePort.pick(udpToo: false, avoiding: s.usedPorts)
                s.usedPorts.insert(rpc)
                return (bind, rpc, s.order.first.flatMap { s.nodes[$0]?.bindPort })
            }
        }
        let (bind, rpc, seed) = try picked.get()
        var arguments = [
            "agent", "-node=\(name)", "-bind=127.0.0.1:\(bind)", "-rpc-addr=127.0.0.1:\(rpc)", "-log-level=warn",
        ]
        if let seed { arguments.append("-join=127.0.0.1:\(seed)") }
        let start = ContinuousClock.now
        let process = try CollectedProcess(executable: binary, arguments: arguments)
        MeshBenchReaper.register(process.pid)
        state.withLock { s in
            s.nodes[name] = Node(process: process, bindPort: bind, rpcPort: rpc)
            s.order.append(name)
        }
        return start
    }

    func waitReady(_ name: String, timeout: Duration) async throws -> ContinuousClock.Instant {
        let watch = Stopwatch()
        var lastError: any Error = BenchError("not tried")
        while watch.elapsed < timeout {
            do {
                _ = try await client(name)
                return ContinuousClock.now
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BenchError("Serf agent \(name) did not answer RPC within \(timeout): \(lastError)")
    }

    /// The agent's RPC connection, connecting on first use. Throws if the agent exited.
    private func client(_ name: String) async throws -> SerfRPCClient {
        guard let node = state.withLock({ $0.nodes[name] }) else { throw BenchError("no Serf agent \(name)") }
        if let rpc = node.rpc { return rpc }
        if let status = node.process.exitStatus {
            throw BenchError("Serf agent \(name) exited with \(status): \(node.process.output.suffix(600))")
        }
        let rpc = try await SerfRPCClient.connect(port: node.rpcPort)
        let winner = state.withLock { s -> SerfRPCClient in
            if let existing = s.nodes[name]?.rpc { return existing }
            s.nodes[name]?.rpc = rpc
            return rpc
        }
        if winner !== rpc { rpc.close() }
        return winner
    }

    func view(of name: String) async throws -> MembershipView {
        let members = try await client(name).members()
        var view: MembershipView = [:]
        for (member, status) in members where member != name {
            view[member] = switch status {
            case "alive", "leaving": .alive
            case "failed": .dead
            case "left": .left
            default: nil
            }
        }
        return view
    }

    func kill(_ name: String) {
        guard let node = state.withLock({ s -> Node? in
            s.nodes[name]?.killed = true
            return s.nodes[name]
        }) else { return }
        node.process.terminate(signal: SIGKILL)
        node.rpc?.close()
    }

    func wirePorts() -> [Int] {
        state.withLock { s in s.order.compactMap { s.nodes[$0] }.filter { !$0.killed }.map(\.bindPort) }
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
        for node in nodes {
            node.rpc?.close()
            node.process.terminate(signal: SIGKILL)
        }
        for node in nodes {
            _ = try? await node.process.waitForExit(timeout: .seconds(10))
            MeshBenchReaper.unregister(node.process.pid)
        }
    }
}
