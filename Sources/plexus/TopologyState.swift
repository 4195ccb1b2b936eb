import Foundation

/// What `plexus topology up` started, kept in `<root>/state.json` so that `status`, `down` and
/// `start` (separate invocations, possibly from another shell) can find the nodes again, and a
/// second `up` can refuse to start a topology that is still running.
struct TopologyState: Codable, Sendable {
    /// One node process of the topology.
    struct Node: Codable, Sendable {
        /// `org/cluster/name`, as in the node's certificate.
        var id: String
        var organisation: String
        var cluster: String
        var name: String
        /// The pid of the last start; only meaningful while `running`.
        var pid: Int32
        /// As recorded by the last `up`, `start` or `down`; `status` checks the process itself.
        var running: Bool
        var httpURL: String
        var meshAddress: String
        /// The node's directory (identity, data, node.yaml, node.log, ready.json).
        var dir: String
        /// Its node.yaml.
        var config: String

        enum CodingKeys: String, CodingKey {
            case id, organisation, cluster, name, pid, running, dir, config
            case httpURL = "http_url"
            case meshAddress = "mesh_address"
        }

        var log: String { dir + "/node.log" }
        var readyFile: String { dir + "/ready.json" }

        /// Whether its recorded process is alive and still this node (see `DetachedProcess.isRunning`).
        var isAlive: Bool { DetachedProcess.isRunning(pid, commandLineContains: config) }
    }

    /// The topology's name.
    var topology: String
    /// The topology file it was started from.
    var file: String
    var nodes: [Node]

    /// Where `up` records the root of the topology it started last, for commands without `--dir`.
    static let currentPointer = ".plexus/topology/current"

    static func path(root: String) -> String { root + "/state.json" }

    /// The state under `root`, or `nil` when none was written yet.
    static func loadIfPresent(root: String) throws -> TopologyState? {
        guard let data = FileManager.default.contents(atPath: path(root: root)) else { return nil }
        do {
            return try JSONDecoder().decode(TopologyState.self, from: data)
        } catch {
            throw CLIError("\(path(root: root)) is not a topology state file: \(error)")
        }
    }

    static func load(root: String) throws -> TopologyState {
        guard let state = try loadIfPresent(root: root) else {
            throw CLIError("no topology state at \(path(root: root)); start one with `plexus topology up FILE`")
        }
        return state
    }

    /// Writes state.json atomically, so a concurrent `status` never reads half a file.
    func save(root: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(root: root)), options: .atomic)
        } catch {
            throw CLIError("cannot write \(Self.path(root: root)): \(error.localizedDescription)")
        }
    }

    /// The node with `id`, or an error listing the ids there are.
    func index(of id: String) throws -> Int {
        guard let index = nodes.firstIndex(where: { $0.id == id }) else {
            throw CLIError("no node \(id) in topology \(topology) (nodes: \(nodes.map(\.id).joined(separator: ", ")))")
        }
        return index
    }

    /// `--dir` made absolute, or else the root `up` recorded in `.plexus/topology/current`.
    static func root(_ dir: String?) throws -> String {
        if let dir { return absolute(dir) }
        guard let data = FileManager.default.contents(atPath: currentPointer) else {
            throw CLIError("no current topology (\(currentPointer) is missing); give --dir or run `plexus topology up FILE`")
        }
        let root = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !root.isEmpty else { throw CLIError("\(currentPointer) is empty; give --dir") }
        return root
    }

    /// Records `root` as the current topology.
    static func makeCurrent(_ root: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: (currentPointer as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data((root + "\n").utf8).write(to: URL(fileURLWithPath: currentPointer), options: .atomic)
        } catch {
            throw CLIError("cannot write \(currentPointer): \(error.localizedDescription)")
        }
    }

    /// Node configs hold paths that other processes read, so every path is made absolute.
    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }
}
