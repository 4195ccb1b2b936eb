import Logging
import PlexusAPI
import PlexusNATS
import PlexusStore
import ServiceLifecycle

/// The node's local NATS: ingest from the configured subjects (optionally as a queue group) and
/// egress of delivered messages to subject = topic, core or JetStream. One client connection;
/// it reconnects and resubscribes by itself, and the node keeps running while NATS is down.
public final class NATSEdge: Service, Sendable {
    public let configuration: NATSEdgeConfiguration
    public let monitor: EdgeMonitor
    let client: NATSClient
    let dataDir: String
    let ingestor: any MessageIngestor
    let store: any MessageStore
    let signal: LogSignal
    let logger: Logger

    public init(configuration: NATSEdgeConfiguration, node: String, dataDir: String, ingestor: any MessageIngestor,
                store: any MessageStore, signal: LogSignal, logger: Logger) throws {
        try configuration.validate()
        self.client = try Self.client(for: configuration, node: node, logger: logger)
        self.configuration = configuration
        // From the parsed addresses, which carry no credentials: this goes into /healthz and the
        // registry, which other organisations read.
        self.monitor = EdgeMonitor(kind: "nats", server: client.configuration.servers.map(\.description).joined(separator: ","))
        self.dataDir = dataDir
        self.ingestor = ingestor
        self.store = store
        self.signal = signal
        self.logger = logger
    }

    static func client(for configuration: NATSEdgeConfiguration, node: String, logger: Logger) throws -> NATSClient {
        do throws(NATSClientError) {
            var options = try NATSClient.Configuration(url: configuration.servers[0])
            for server in configuration.servers.dropFirst() {
                options.servers += try NATSClient.Configuration(url: server).servers
            }
            options.user = configuration.user ?? options.user
            options.password = configuration.password ?? options.password
            options.token = configuration.token ?? options.token
            options.name = "plexus \(node)"
            // The node starts whether or not NATS is up; the edge connects when it can.
            options.retryOnFailedConnect = true
            options.logger = logger
            return try NATSClient(configuration: options)
        } catch {
            throw EdgeError(.configuration, "edges.nats: \(error.message)")
        }
    }

    public func run() async throws {
        logger.info("nats edge starting", metadata: ["plexus.edge.server": "\(monitor.snapshot.server)", "plexus.edge.subjects": "\(configuration.subjects)"])
        let queue = BatchQueue<NATSMessage>(capacity: configuration.batch * 4)
        let ingest = NATSIngest(client: client, queue: queue, batch: configuration.batch, ingestor: ingestor, monitor: monitor, logger: logger)
        let client = client, monitor = monitor, configuration = configuration, logger = logger
        let subscriptions = try configuration.subjects.map { try client.subscribe(subject: $0, queueGroup: configuration.queueGroup) }
        let follower = LogFollower(store: store, signal: signal, cursor: LogCursor(path: dataDir + "/edges/nats.cursor"))
        // Before anything is ingested: a first start publishes from here on.
        if configuration.egress.enabled { try await follower.prepare() }
        await withDiscardingTaskGroup { group in
            group.addTask {
                do { try await client.connect() } catch { monitor.failed(error) }
            }
            for subscription in subscriptions { group.addTask { await ingest.pump(subscription) } }
            for _ in 0..<NATSIngest.workers { group.addTask { await ingest.run() } }
            if configuration.egress.enabled {
                group.addTask {
                    if let jetStream = configuration.egress.jetStream, jetStream.createStream {
                        await Self.ensureStream(jetStream, topics: configuration.egress.topics.map(\.value), client: client, monitor: monitor, logger: logger)
                    }
                    let egress = NATSEgress(client: client, configuration: configuration.egress, monitor: monitor)
                    try? await follower.run(publish: egress.publish, lag: { lag in monitor.update { $0.lag = lag } }, failed: monitor.failed)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    Self.observe(client.statistics, subscriptions: subscriptions, into: monitor)
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            try? await gracefulShutdown()
            // Stop taking messages, log what was taken, then stop the rest.
            for subscription in subscriptions { subscription.unsubscribe() }
            queue.close()
            group.cancelAll()
            // Closing fails what waits on the connection (a first connect that never succeeded,
            // a flush, a request), which cancellation alone does not end.
            await client.close()
        }
        monitor.update { $0.state = .stopped }
    }

    /// Creates the egress stream (subjects = the egress topics) once NATS is reachable.
    static func ensureStream(_ jetStream: NATSEdgeConfiguration.JetStream, topics: [String], client: NATSClient, monitor: EdgeMonitor, logger: Logger) async {
        var wait = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await client.jetStreamAddStream(name: jetStream.stream, subjects: topics)
                return
            } catch {
                monitor.failed(error)
                logger.warning("nats edge: cannot create the JetStream stream yet", metadata: ["plexus.edge.stream": "\(jetStream.stream)", "plexus.error": "\(error)"])
                try? await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(5))
            }
        }
    }

    static func observe(_ statistics: NATSClient.Statistics, subscriptions: [NATSSubscription], into monitor: EdgeMonitor) {
        let state: EdgeHealth.State
        switch statistics.status {
        case .connected: state = .connected
        case .reconnecting: state = .reconnecting
        case .closed: state = .stopped
        default: state = .connecting
        }
        monitor.update {
            $0.state = state
            $0.reconnects = statistics.reconnects
            $0.dropped = subscriptions.map(\.droppedMessages).reduce(0, +)
            if state != .connected, let error = statistics.lastError { $0.lastError = error }
        }
    }
}
