import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import PlexusAPI
import NIOCore
import NIOPosix
import PlexusCore
import PlexusIdentity
import PlexusPeer
import PlexusPostgres
import PlexusStore
import PlexusWebhooks
import ServiceLifecycle

/// One running Plexus node: the store, the runtime, the HTTP/WebSocket server, run as services of
/// one `ServiceGroup`. Graceful shutdown runs in reverse order: live streams end, the server stops
/// accepting and finishes in-flight requests, then the store drains its writer and closes.
public final class PlexusNode: Sendable {
    public let configuration: NodeConfiguration
    public let runtime: NodeRuntime
    /// The mesh-wide configuration store as this node holds it.
    public let config: ConfigStore
    let group: ServiceGroup
    let logger: Logger
    let listening: AsyncStream<Int>
    let listeningContinuation: AsyncStream<Int>.Continuation
    /// The mesh driver; nil when `mesh.enabled` is false.
    public let mesh: MeshDriver?
    let meshAddress: AsyncStream<String>
    let meshAddressContinuation: AsyncStream<String>.Continuation
    let edgeMonitors: [EdgeMonitor]

    /// Opens the store and assembles the services. Call `run()` to serve.
    public init(configuration: NodeConfiguration, logger: Logger, signals: Bool = true) async throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        try FileManager.default.createDirectory(atPath: configuration.dataDir, withIntermediateDirectories: true)
        let store = try await Self.openStore(configuration, logger: logger)
        let hub = StreamHub(clientQueueCapacity: configuration.stream.clientQueue)
        let inboxes = SubjectInboxes(acknowledged: { subject, ids in
            store.inboxAcknowledged(ids.map { InboxAck(subject: subject, messageID: $0) })
        })
        // What subjects homed here had not acknowledged when the node stopped.
        inboxes.restore(try await store.inbox().map { ($0.subject, $0.messageID, ByteBuffer(bytes: $0.json)) })
        let pushes = PushSubscriptions(poster: HTTPPushPoster(), file: configuration.dataDir + "/subscriptions.json", logger: logger)
        try pushes.load()
        let (listening, listeningContinuation) = AsyncStream.makeStream(of: Int.self)
        self.listening = listening
        self.listeningContinuation = listeningContinuation
        // The mesh announces this node's HTTP address, known only once the server listens.
        let (httpPort, httpPortContinuation) = AsyncStream.makeStream(of: Int.self)
        let (meshAddress, meshAddressContinuation) = AsyncStream.makeStream(of: String.self)
        self.meshAddress = meshAddress
        self.meshAddressContinuation = meshAddressContinuation
        var meshServices: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let logSignal = LogSignal()
        // The mesh-wide configuration: templates, policies, limits, ACLs, webhooks (docs/policy.md).
        let identity = configuration.mesh.enabled ? try NodeIdentitySource.identity(for: configuration) : nil
        let config = ConfigStore(node: identity?.nodeID.rawValue ?? configuration.name, path: configuration.dataDir + "/config-history.jsonl",
                                 logger: logger)
        try config.load()
        self.config = config
        // Webhooks: endpoints from the config store, events from the constraint checker.
        let addressGuard = AddressGuard(allowlist: try AddressGuardAllowlist(parsing: configuration.webhookAllowlist))
        config.setPreparer(.webhooks) { key, value, current throws(PlexusError) in
            try WebhookSettings.prepare(key, value, current, guard: addressGuard)
        }
        let webhooks = WebhookService(
            configuration: .init(databasePath: configuration.dataDir + "/webhooks.sqlite", retry: configuration.webhookRetry, addressGuard: addressGuard),
            config: config, addressGuard: addressGuard, logger: logger)
        let nodeName = identity?.nodeID.rawValue ?? configuration.name
        let notify = WebhookService.notifier(config: config, node: nodeName, clock: WallClock.now, into: webhooks.eventQueue)
        if let identity {
            let gate = ConstraintGate(config: config, organisation: identity.nodeID.organisation,
                                      node: identity.nodeID.rawValue, clock: WallClock.now, notify: notify)
            let trust = try NodeIdentitySource.trust(for: configuration, identity: identity)
            var peer = PeerMeshConfiguration(listenHost: configuration.mesh.host, listenPort: configuration.mesh.port,
                                             advertise: configuration.mesh.advertise, seeds: configuration.mesh.seeds,
                                             settings: configuration.mesh.profile == "wan" ? .wan : .lan)
            peer.maxFrameBytes = max(peer.maxFrameBytes, configuration.limits.maxBodyBytes * 2)
            peer.neighbors = configuration.mesh.neighbors
            peer.linkCosts = configuration.mesh.linkCosts
            let driver = try MeshDriver(configuration: peer, identity: identity, trust: trust,
                                        loop: MultiThreadedEventLoopGroup.singleton.next(), logger: logger)
            self.mesh = driver
            let forwarder = MeshForwarder(driver: driver, store: store, delivery: LocalDelivery(hub: hub, inboxes: inboxes, pushes: pushes, logSignal: logSignal),
                                          limits: configuration.limits, clock: WallClock.now, logger: logger, gate: gate)
            driver.setForwardingSink(forwarder)
            // With a mesh, `hops` names nodes by their mesh id (org/cluster/name), unique across organisations.
            self.runtime = NodeRuntime(pipeline: IngestPipeline(node: identity.nodeID.rawValue, limits: configuration.limits),
                                       store: store, hub: hub, logger: logger, forwarder: forwarder, pushes: pushes, logSignal: logSignal,
                                       gate: gate)
            let host = configuration.http.host
            meshServices.append(.init(service: MeshService(driver: driver, store: store, hub: hub, pushes: pushes, logger: logger, httpURL: {
                for await port in httpPort { return "http://\(host):\(port)" }
                return nil
            }, started: meshAddressContinuation, config: config)))
        } else {
            self.mesh = nil
            self.runtime = NodeRuntime(pipeline: IngestPipeline(node: configuration.name, limits: configuration.limits),
                                       store: store, hub: hub, logger: logger, forwarder: nil, pushes: pushes, logSignal: logSignal,
                                       gate: ConstraintGate(config: config, organisation: "local", node: configuration.name, clock: WallClock.now,
                                                            notify: notify))
            meshAddressContinuation.finish()
        }
        let runtime = self.runtime
        let edges = try Self.edges(configuration, runtime: runtime, store: store, logger: logger)
        let monitors = edges.map(\.monitor)
        self.edgeMonitors = monitors
        if let mesh, !monitors.isEmpty {
            meshServices.append(.init(service: EdgeBackboneService(driver: mesh, monitors: monitors, logger: logger)))
        }
        // Human-in-the-loop sessions (docs/human-in-the-loop.md): channels in the config store,
        // sessions in their own SQLite file, results logged (and routed) like any message.
        config.setPreparer(.channels) { key, value, current throws(PlexusError) in
            try ChannelSettings.prepare(key, value, current, guard: addressGuard)
        }
        let baseURL = SessionBaseURL(configured: configuration.sessionsPublicURL, host: configuration.http.host)
        let sessionParts = try await Self.sessions(configuration, runtime: runtime, config: config, addressGuard: addressGuard,
                                                   webhooks: webhooks, baseURL: baseURL, node: nodeName, logger: logger)
        var deps = APIDependencies(node: configuration.name, ingestor: runtime, store: store, hub: hub, limits: configuration.limits,
                                   mesh: mesh.map { DriverMeshAccess(driver: $0) }, inboxes: inboxes, pushes: pushes)
        deps.sessions = sessionParts.service
        deps.channelSender = sessionParts.sender
        deps.clock = WallClock.now
        deps.edgeHealth = { monitors.map(\.snapshot.json) }
        deps.config = config
        deps.webhookDeliveries = { id, limit in
            // Deliveries stay in the log after an endpoint is deleted; an id never configured is a 404.
            guard let dispatcher = webhooks.dispatcher else {
                throw PlexusError(.unavailable, "webhook deliveries are not open yet; retry")
            }
            let records = try await dispatcher.deliveries(endpointID: id, limit: limit)
            if records.isEmpty, config.history(try ConfigKey(.webhooks, id)).isEmpty { return nil }
            return .array(records.map(WebhookService.json))
        }
        if let sqlite = store as? SQLiteMessageStore {
            deps.storeHealth = { ["kind": "sqlite", "degraded": false, "writer": sqlite.writerStatistics.json] }
        }
        if let postgres = store as? PostgresMessageStore {
            deps.storeHealth = {
                let health = postgres.health
                return [
                    "kind": "postgres", "degraded": .bool(health.degraded), "reachable": .bool(health.reachable),
                    "spooled": .integer(Int64(health.spooled)), "last_error": health.lastError.map { .string($0) } ?? .null,
                ]
            }
        }
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
                let port = channel.localAddress?.port ?? configuration.http.port
                baseURL.listening(on: port)
                listeningContinuation.yield(port)
                listeningContinuation.finish()
                httpPortContinuation.yield(port)
                httpPortContinuation.finish()
            },
            logger: logger
        )
        var groupConfig = ServiceGroupConfiguration(
            services: [
                .init(service: StoreService(store: store)),
                // Before the server: shutdown runs in reverse order, so the session store closes
                // only after the server finished its requests.
                .init(service: SessionRunService(sessions: sessionParts.service)),
                .init(service: app),
                .init(service: StreamShutdownService(hub: hub, pushes: pushes)),
                .init(service: webhooks),
            ] + edges.map { .init(service: $0.service) } + meshServices,
            gracefulShutdownSignals: signals ? [.sigterm, .sigint] : [],
            logger: logger
        )
        groupConfig.maximumGracefulShutdownDuration = .seconds(15)
        self.group = ServiceGroup(configuration: groupConfig)
    }

    /// The configured Redis / NATS edges. They log through the runtime like any other ingress and
    /// follow the log for egress; their queue names and cursors are per node name.
    static func edges(_ configuration: NodeConfiguration, runtime: NodeRuntime, store: any MessageStore,
                      logger: Logger) throws -> [(service: any Service, monitor: EdgeMonitor)] {
        var edges: [(service: any Service, monitor: EdgeMonitor)] = []
        if let redis = configuration.edges.redis {
            let edge = try RedisEdge(configuration: redis, node: configuration.name, dataDir: configuration.dataDir, ingestor: runtime,
                                     store: store, signal: runtime.logSignal, maxItemBytes: configuration.limits.maxBodyBytes, logger: logger)
            edges.append((edge, edge.monitor))
        }
        if let nats = configuration.edges.nats {
            let edge = try NATSEdge(configuration: nats, node: configuration.name, dataDir: configuration.dataDir, ingestor: runtime,
                                    store: store, signal: runtime.logSignal, logger: logger)
            edges.append((edge, edge.monitor))
        }
        return edges
    }

    /// The Redis / NATS edges' health, as `/healthz` shows it.
    public var edgeHealth: [EdgeHealth] { edgeMonitors.map(\.snapshot) }

    /// Serves until a signal or `shutdown()`.
    public func run() async throws {
        // If the server never starts (the port is taken), waiters learn it instead of hanging.
        defer {
            listeningContinuation.finish()
            meshAddressContinuation.finish()
        }
        try await group.run()
    }

    /// The port the HTTP server listens on, once it does (useful with port 0); nil if the node
    /// stopped without ever listening.
    public func waitUntilListening() async -> Int? {
        for await port in listening { return port }
        return nil
    }

    /// The mesh's advertised peer address once its listener is bound (nil without a mesh).
    public func waitUntilMeshListening() async -> String? {
        for await address in meshAddress { return address }
        return nil
    }

    /// The configured log: SQLite in `data_dir` by default, or PostgreSQL with its spool in
    /// `data_dir`.
    static func openStore(_ configuration: NodeConfiguration, logger: Logger) async throws -> any MessageStore {
        switch configuration.store.kind {
        case .sqlite:
            var options = SQLiteStoreOptions()
            options.synchronous = configuration.store.synchronous
            return try await SQLiteMessageStore.open(path: configuration.databasePath, options: options, logger: logger)
        case .postgres:
            guard var postgres = configuration.store.postgres else {
                throw ConfigurationError(key: "store.url", line: nil, message: "is required when store.kind is postgres")
            }
            if postgres.spoolPath != nil { postgres.spoolPath = configuration.postgresSpoolPath }
            return try await PostgresMessageStore.open(configuration: postgres, logger: logger, now: WallClock.now)
        }
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
    let pushes: PushSubscriptions

    func run() async throws {
        try? await gracefulShutdown()
        hub.closeAll()
        pushes.stop()
    }
}

/// Push subscriptions' POSTs, through the shared HTTP client.
struct HTTPPushPoster: PushPoster {
    func post(url: String, body: ByteBuffer) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "plexus")
        request.body = .bytes(body)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try? await response.body.collect(upTo: 64 << 10)
        return Int(response.status.code)
    }
}
