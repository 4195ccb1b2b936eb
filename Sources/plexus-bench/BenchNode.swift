import Foundation
import Logging
import PlexusNode
import PlexusStore

/// A real node, assembled exactly as `plexus dev` assembles it (`PlexusNode`), running in this
/// process on 127.0.0.1 and a free port, with its own data directory.
///
/// In-process so the benchmark can reach the node's runtime and store directly; load comes from
/// wrk in its own process wherever the figure is about HTTP.
final class BenchNode: Sendable {
    let node: PlexusNode
    let task: Task<Void, any Error>
    let port: Int
    let dataDir: TempDirectory
    let ownsDataDir: Bool

    /// Starts a node. `dataDir` nil makes a fresh one, removed by `stop()`; a given one is kept.
    static func start(
        _ label: String,
        dataDir: TempDirectory? = nil,
        synchronous: SQLiteStoreOptions.Synchronous = .full,
        clientQueue: Int? = nil,
        edges: NodeConfiguration.Edges = .init(),
        mesh: Bool = true,
        store: NodeConfiguration.Store? = nil
    ) async throws -> BenchNode {
        let directory = try dataDir ?? TempDirectory(label)
        var config = NodeConfiguration()
        config.name = "bench"
        config.http.host = "127.0.0.1"
        config.http.port = 0
        config.dataDir = directory.path
        config.store.synchronous = synchronous
        if let store { config.store = store }
        config.logLevel = "warning"
        if let clientQueue { config.stream.clientQueue = clientQueue }
        config.edges = edges
        config.mesh.enabled = mesh
        var logger = Logger(label: "plexus.bench.node")
        logger.logLevel = .warning
        let node = try await PlexusNode(configuration: config, logger: logger, signals: false)
        let task = Task { try await node.run() }
        let port = try await TimeLimit.run(.seconds(30), "node start") { await node.waitUntilListening() }
        guard let port else {
            task.cancel()
            throw BenchError("the node stopped before it listened")
        }
        return BenchNode(node: node, task: task, port: port, dataDir: directory, ownsDataDir: dataDir == nil)
    }

    /// Runs `body` against a fresh node and always stops it (and removes its data) afterwards, so no
    /// node outlives its section and steals CPU from the next one.
    static func with<T: Sendable>(
        _ label: String,
        dataDir: TempDirectory? = nil,
        synchronous: SQLiteStoreOptions.Synchronous = .full,
        clientQueue: Int? = nil,
        edges: NodeConfiguration.Edges = .init(),
        mesh: Bool = true,
        store: NodeConfiguration.Store? = nil,
        _ body: (BenchNode) async throws -> T
    ) async throws -> T {
        let node = try await start(label, dataDir: dataDir, synchronous: synchronous, clientQueue: clientQueue, edges: edges, mesh: mesh, store: store)
        do {
            let result = try await body(node)
            await node.stop()
            return result
        } catch {
            await node.stop()
            throw error
        }
    }

    private init(node: PlexusNode, task: Task<Void, any Error>, port: Int, dataDir: TempDirectory, ownsDataDir: Bool) {
        self.node = node
        self.task = task
        self.port = port
        self.dataDir = dataDir
        self.ownsDataDir = ownsDataDir
    }

    var base: String { "http://127.0.0.1:\(port)" }
    var wsBase: String { "ws://127.0.0.1:\(port)" }

    /// Graceful shutdown (drains the store), bounded; removes the data dir if this node made it.
    func stop() async {
        await node.shutdown()
        let task = self.task
        _ = try? await TimeLimit.run(.seconds(30), "node shutdown") { try await task.value }
        if ownsDataDir { dataDir.remove() }
    }
}
