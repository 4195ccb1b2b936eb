import Logging
import PlexusAPI
import PlexusRedis
import PlexusStore
import ServiceLifecycle

/// The node's local Redis: one reliable-queue ingest loop per list, each on its own connection
/// (a blocking wait holds a connection), and one egress on another, following the log.
/// The node keeps running while Redis is down; the health says so.
public final class RedisEdge: Service, Sendable {
    public let configuration: RedisEdgeConfiguration
    public let monitor: EdgeMonitor
    let redis: RedisConfiguration
    let node: String
    let dataDir: String
    let ingestor: any MessageIngestor
    let store: any MessageStore
    let signal: LogSignal
    let logger: Logger
    /// Larger items are dead-lettered by the take script on the server, never read into memory.
    let maxItemBytes: Int

    /// Checks the configuration and that this build has hiredis; connects in `run()`.
    public init(configuration: RedisEdgeConfiguration, node: String, dataDir: String, ingestor: any MessageIngestor,
                store: any MessageStore, signal: LogSignal, maxItemBytes: Int, logger: Logger) throws {
        self.maxItemBytes = maxItemBytes
        try configuration.validate()
        do {
            try RedisClient.requireAvailable()
            self.redis = try RedisConfiguration(url: configuration.url)
        } catch {
            throw EdgeError(.configuration, "edges.redis: \(error.message)")
        }
        self.configuration = configuration
        self.monitor = EdgeMonitor(kind: "redis", server: "redis://\(redis.endpoint)/\(redis.database)")
        self.node = node
        self.dataDir = dataDir
        self.ingestor = ingestor
        self.store = store
        self.signal = signal
        self.logger = logger
    }

    public func run() async throws {
        var connections: [RedisConnection] = []
        func connection() throws -> RedisConnection {
            let made = try RedisConnection(configuration: redis, logger: logger)
            connections.append(made)
            return made
        }
        let ids = try FallbackMessageIDs.load(path: dataDir + "/edges/redis-ids.key")
        let loops = try configuration.lists.map { list in
            RedisListIngest(list: list, processing: configuration.processingList(list, node: node),
                            counter: configuration.counterKey(list, node: node), deadLetters: configuration.deadLetterList(list),
                            node: node, batch: configuration.batch, maxItemBytes: maxItemBytes, connection: try connection(),
                            ingestor: ingestor, ids: ids, monitor: monitor, logger: logger)
        }
        let egress = configuration.egress.isEmpty ? nil : RedisEgress(rules: configuration.egress, connection: try connection(), monitor: monitor)
        let follower = LogFollower(store: store, signal: signal, cursor: LogCursor(path: dataDir + "/edges/redis.cursor"))
        let watched = connections
        // Before anything is ingested: a first start publishes from here on.
        if egress != nil { try await follower.prepare() }
        logger.info("redis edge starting", metadata: ["plexus.edge.server": "\(redis)", "plexus.edge.lists": "\(configuration.lists)"])
        await withDiscardingTaskGroup { group in
            for loop in loops { group.addTask { await loop.run() } }
            if let egress {
                group.addTask { [monitor] in
                    try? await follower.run(publish: egress.publish, lag: { lag in monitor.update { $0.lag = lag } }, failed: monitor.failed)
                }
            }
            group.addTask { [monitor] in
                while !Task.isCancelled {
                    Self.observe(watched.map(\.status), into: monitor)
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            // Graceful shutdown cancels the loops: an item being processed stays in the
            // processing list and is finished at the next start.
            try? await gracefulShutdown()
            group.cancelAll()
        }
        for connection in connections { await connection.close() }
        monitor.update { $0.state = .stopped }
    }

    /// The edge is as connected as its least connected link.
    static func observe(_ statuses: [RedisConnectionStatus], into monitor: EdgeMonitor) {
        let state: EdgeHealth.State
        if statuses.allSatisfy(\.isConnected) {
            state = .connected
        } else if statuses.contains(where: { $0.state == .reconnecting }) {
            state = .reconnecting
        } else {
            state = .connecting
        }
        let reconnects = statuses.map(\.reconnectCount).reduce(0, +)
        let lastError = statuses.compactMap(\.lastError).first.map(\.message)
        monitor.update {
            $0.state = state
            $0.reconnects = reconnects
            if state != .connected, let lastError { $0.lastError = lastError }
        }
    }
}
