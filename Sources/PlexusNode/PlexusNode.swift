import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import PlexusAPI
import PlexusCore
import PlexusStore
import ServiceLifecycle

/// One running Plexus node: the store, the runtime, the HTTP/WebSocket server, run as services of
/// one `ServiceGroup`. Graceful shutdown runs in reverse order: live streams end, the server stops
/// accepting and finishes in-flight requests, then the store drains its writer and closes.
public final class PlexusNode: Sendable {
    public let configuration: NodeConfiguration
    public let runtime: NodeRuntime
    let group: ServiceGroup
    let logger: Logger
    let listening: AsyncStream<Int>
    let listeningContinuation: AsyncStream<Int>.Continuation

    /// Opens the store and assembles the services. Call `run()` to serve.
    public init(configuration: NodeConfiguration, logger: Logger, signals: Bool = true) async throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        try FileManager.default.createDirectory(atPath: configuration.dataDir, withIntermediateDirectories: true)
        var storeOptions = SQLiteStoreOptions()
        storeOptions.synchronous = configuration.store.synchronous
        let store = try await SQLiteMessageStore.open(path: configuration.databasePath, options: storeOptions, logger: logger)
        let hub = StreamHub(clientQueueCapacity: configuration.stream.clientQueue)
        let runtime = NodeRuntime(
            pipeline: IngestPipeline(node: configuration.name, limits: configuration.limits),
            store: store,
            hub: hub,
            logger: logger
        )
        self.runtime = runtime
        let deps = APIDependencies(node: configuration.name, ingestor: runtime, store: store, hub: hub, limits: configuration.limits)
        let (listening, listeningContinuation) = AsyncStream.makeStream(of: Int.self)
        self.listening = listening
        self.listeningContinuation = listeningContinuation
        let app = Application(
            router: HTTPRoutes.router(deps),
            server: .http1WebSocketUpgrade(
                webSocketRouter: WebSocketRoutes.router(deps),
                configuration: .init(ws: .init(maxFrameSize: configuration.limits.maxBodyBytes, validateUTF8: true))
            ),
            configuration: .init(
                address: .hostname(configuration.http.host, port: configuration.http.port),
                serverName: "plexus/\(configuration.name)"
            ),
            onServerRunning: { channel in
                listeningContinuation.yield(channel.localAddress?.port ?? configuration.http.port)
                listeningContinuation.finish()
            },
            logger: logger
        )
        var groupConfig = ServiceGroupConfiguration(
            services: [
                .init(service: StoreService(store: store)),
                .init(service: app),
                .init(service: StreamShutdownService(hub: hub)),
            ],
            gracefulShutdownSignals: signals ? [.sigterm, .sigint] : [],
            logger: logger
        )
        groupConfig.maximumGracefulShutdownDuration = .seconds(15)
        self.group = ServiceGroup(configuration: groupConfig)
    }

    /// Serves until a signal or `shutdown()`.
    public func run() async throws {
        // If the server never starts (the port is taken), waiters learn it instead of hanging.
        defer { listeningContinuation.finish() }
        try await group.run()
    }

    /// The port the HTTP server listens on, once it does (useful with port 0); nil if the node
    /// stopped without ever listening.
    public func waitUntilListening() async -> Int? {
        for await port in listening { return port }
        return nil
    }

    /// Graceful shutdown: stop accepting, drain the writer, close streams.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}

/// Keeps the store open for the node's lifetime and closes it last, after draining pending appends.
struct StoreService: Service {
    let store: any MessageStore

    func run() async throws {
        try? await gracefulShutdown()
        try await store.close()
    }
}

/// Ends every live stream first on shutdown, so the server is not held open by clients that would
/// otherwise never disconnect.
struct StreamShutdownService: Service {
    let hub: StreamHub

    func run() async throws {
        try? await gracefulShutdown()
        hub.closeAll()
    }
}
