import ArgumentParser
import Foundation
import PlexusCore
import PlexusSim
import PlexusSimFiles

/// `plexus topology`: run a topology file as real node processes on this machine — one CA per
/// organisation, one certificate per node, trust between organisations as the file grants it —
/// so federation can be tried and tested end to end without writing a dozen configs by hand.
/// The same files drive the simulator (`plexus sim`).
struct TopologyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Run a topology file as real local node processes.",
        discussion: """
            plexus topology up topology/two-orgs.yaml
            plexus topology status
            plexus topology start acme/us1/n1
            plexus topology down
            """,
        subcommands: [Up.self, Status.self, Down.self, Start.self]
    )

    /// `plexus topology up FILE`: identities, configs, processes, then waits until all listen.
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start one node process per node of a topology file and wait until all listen."
        )

        @Argument(help: "The topology file (topology/*.yaml).")
        var file: String

        @Option(name: .long, help: "State directory (default: .plexus/topology/<topology name>).")
        var dir: String?

        @Option(name: .long, help: "Seconds to wait for every node to listen.")
        var wait: Int = 30

        func run() async throws {
            let topology: Topology
            do {
                topology = try TopologyFile.load(path: file)
            } catch {
                throw CLIError("\(file): \(error)")
            }
            let root = TopologyState.absolute(dir ?? ".plexus/topology/\(topology.name)")
            if let previous = try TopologyState.loadIfPresent(root: root) {
                let live = previous.nodes.filter(\.isAlive)
                if !live.isEmpty {
                    let list = live.map { "\($0.id) (pid \($0.pid))" }.joined(separator: ", ")
                    throw CLIError("topology \(previous.topology) in \(root) is still running: \(list); run `plexus topology down --dir \(root)` first")
                }
            }
            let launcher = TopologyLauncher(root: root)
            var state = try launcher.prepare(topology, file: TopologyState.absolute(file))
            let all = Array(state.nodes.indices)
            // Saved before waiting, so `down` can stop whatever started even if `up` fails.
            defer { try? state.save(root: root) }
            try launcher.launch(&state, indices: all)
            try state.save(root: root)
            try TopologyState.makeCurrent(root)
            try await launcher.waitUntilReady(&state, indices: all, seconds: wait)
            try state.save(root: root)
            for node in state.nodes { print("\(node.id)  \(node.httpURL)  pid \(node.pid)") }
        }
    }

    /// `plexus topology status`: process state and each node's view of the mesh.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each node's process and its view of the mesh (members, links, registry)."
        )

        @Option(name: .long, help: "State directory (default: the topology `up` started last).")
        var dir: String?

        @Flag(name: .long, help: "Print JSON: {topology, nodes: [{id, pid, running, http_url, mesh_address, mesh}]}.")
        var json = false

        func run() async throws {
            let root = try TopologyState.root(dir)
            let report = await TopologyStatusReport.collect(try TopologyState.load(root: root), root: root)
            print(json ? report.json.jsonString : report.text)
        }
    }

    /// `plexus topology down`: SIGTERM, a grace period, SIGKILL for what remains. Directories stay,
    /// so the next `up` reuses identities and data.
    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop every node of the topology (SIGTERM, SIGKILL after 10 s); keeps identities and data."
        )

        @Option(name: .long, help: "State directory (default: the topology `up` started last).")
        var dir: String?

        func run() async throws {
            let root = try TopologyState.root(dir)
            var state = try TopologyState.load(root: root)
            let live = state.nodes.indices.filter { state.nodes[$0].isAlive }
            for i in live { kill(state.nodes[i].pid, SIGTERM) }
            let deadline = ContinuousClock.now + .seconds(10)
            while live.contains(where: { state.nodes[$0].isAlive }) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            let stubborn = live.filter { state.nodes[$0].isAlive }
            for i in stubborn { kill(state.nodes[i].pid, SIGKILL) }
            let killDeadline = ContinuousClock.now + .seconds(5)
            while stubborn.contains(where: { state.nodes[$0].isAlive }) && ContinuousClock.now < killDeadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            for i in state.nodes.indices {
                let node = state.nodes[i]
                if stubborn.contains(i) {
                    print("\(node.id)  killed (pid \(node.pid) ignored SIGTERM for 10 s)")
                } else if live.contains(i) {
                    print("\(node.id)  stopped (pid \(node.pid))")
                } else {
                    print("\(node.id)  was not running")
                }
                state.nodes[i].running = false
            }
            try state.save(root: root)
            print("topology \(state.topology) is down; \(root) keeps its identities and data for the next `up`")
        }
    }

    /// `plexus topology start NODE_ID`: bring one stopped node back with its existing node.yaml,
    /// on the same ports, so its peers find it where they last saw it.
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start one stopped node of the topology again (same config, same ports)."
        )

        @Argument(help: "Node id, org/cluster/name.")
        var node: String

        @Option(name: .long, help: "State directory (default: the topology `up` started last).")
        var dir: String?

        @Option(name: .long, help: "Seconds to wait for the node to listen.")
        var wait: Int = 30

        func run() async throws {
            let root = try TopologyState.root(dir)
            var state = try TopologyState.load(root: root)
            let i = try state.index(of: node)
            if state.nodes[i].isAlive {
                throw CLIError("\(node) is already running (pid \(state.nodes[i].pid))")
            }
            let launcher = TopologyLauncher(root: root)
            defer { try? state.save(root: root) }
            try launcher.launch(&state, indices: [i])
            try state.save(root: root)
            try await launcher.waitUntilReady(&state, indices: [i], seconds: wait)
            try state.save(root: root)
            print("\(state.nodes[i].id)  \(state.nodes[i].httpURL)  pid \(state.nodes[i].pid)")
        }
    }
}
