import PlexusCore
import PlexusEdge
import PlexusPostgres
import PlexusStore

/// Everything a node needs to start, with defaults that make `plexus dev` work with no file.
/// Validated once at start (`validate()`), with errors naming the bad key.
public struct NodeConfiguration: Sendable, Hashable {
    public struct HTTP: Sendable, Hashable {
        public var host = "127.0.0.1"
        /// 0 picks a free port (tests, `--http-port 0`).
        public var port = 7700
        public init() {}
    }

    public struct Store: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable, CaseIterable { case sqlite, postgres }
        public var kind: Kind = .sqlite
        /// `full` fsyncs every group commit (survives power loss); `normal` survives a process
        /// crash but may lose the last commits on power loss. (SQLite, and the PostgreSQL spool.)
        public var synchronous: SQLiteStoreOptions.Synchronous = .full
        /// The PostgreSQL log (`kind: postgres`; docs/postgres.md). Its `spoolPath` is set from
        /// `data_dir` unless `spool: false`.
        public var postgres: PostgresStoreConfiguration?
        public init() {}
    }

    public struct Stream: Sendable, Hashable {
        /// Messages a live-stream client may fall behind before it is closed as too slow.
        public var clientQueue = 4_096
        public init() {}
    }

    /// Peer links and the mesh protocol (docs/configuration.md, docs/federation.md).
    public struct Mesh: Sendable, Hashable {
        /// Off: the node runs alone and serves no registry routes.
        public var enabled = true
        public var host = "127.0.0.1"
        /// 0 picks a free port.
        public var port = 7800
        /// `host:port` peers should dial, when it differs from the listen address (NAT, containers).
        public var advertise: String?
        /// `host:port` of nodes to contact at start.
        public var seeds: [String] = []
        /// `lan` (memberlist's LAN timings) or `wan`.
        public var profile = "lan"
        /// Globs of node ids this node exchanges data with directly; omitted: every member
        /// (docs/routing.md). Membership gossip still reaches every node.
        public var neighbors: [String]?
        /// Extra cost (milliseconds) for links to peers matching each glob: makes a link a
        /// backup that carries traffic only when the cheaper paths fail.
        public var linkCosts: [String: Double] = [:]
        public init() {}
    }

    /// This node's certificate, TLS key, Ed25519 registry key and its organisation's CA. All
    /// omitted: a development identity is created under `data_dir/identity` on first start.
    public struct Identity: Sendable, Hashable {
        public var certificate: String?
        public var key: String?
        public var signingKey: String?
        public var ca: String?
        public init() {}

        public var isConfigured: Bool { certificate != nil || key != nil || signingKey != nil || ca != nil }
    }

    /// A federated organisation: its CA and what its nodes may announce (glob lists; omitted =
    /// nothing for subjects and backbones, any cluster).
    public struct TrustedOrganisation: Sendable, Hashable {
        public var ca: String
        public var subjects: [String] = []
        public var backbones: [String] = []
        public var clusters: [String] = ["*"]
        public init(ca: String) { self.ca = ca }
    }

    /// This node's name: stamped into `hops`, shown in logs and health.
    public var name = "dev"
    public var http = HTTP()
    /// Where the log and other state live.
    public var dataDir = "./.plexus"
    public var limits = IngestLimits.default
    public var store = Store()
    public var stream = Stream()
    public var logLevel = "info"
    public var mesh = Mesh()
    public var identity = Identity()
    public var trust: [TrustedOrganisation] = []
    /// The node's local Redis and NATS bridges; none by default.
    public var edges = Edges()
    /// Outbound webhooks (docs/policy.md): addresses the SSRF guard lets through although they
    /// are loopback, private, link-local… — CIDRs (`10.1.0.0/16`) or host names. Empty by default.
    public var webhookAllowlist: [String] = []
    /// When failed webhook deliveries are retried (tests shorten it; not in node.yaml).
    public var webhookRetry = WebhookRetrySchedule()
    /// Human-in-the-loop sessions (`sessions:` in node.yaml, docs/human-in-the-loop.md): the
    /// URL people and channels reach this node at, for `response_url` and inbox links. Unset:
    /// `http://<http.host>:<port>` as the server listens (fine on one machine, not behind a proxy).
    public var sessionsPublicURL: String?
    /// When failed channel deliveries are retried (tests shorten it; not in node.yaml).
    public var sessionRetry = WebhookRetrySchedule(baseDelay: .seconds(2), maxDelay: .seconds(300), maxAttempts: 10, maxAge: .seconds(86_400))

    public init() {}

    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    public func validate() throws(ConfigurationError) {
        func fail(_ key: String, _ message: String) -> ConfigurationError { ConfigurationError(key: key, line: nil, message: message) }
        if name.isEmpty || name.utf8.contains(where: { $0 < 0x21 }) { throw fail("node.name", "must be non-empty, without spaces") }
        if http.host.isEmpty { throw fail("http.host", "must not be empty") }
        if !(0...65_535).contains(http.port) { throw fail("http.port", "must be 0...65535, got \(http.port)") }
        if dataDir.isEmpty { throw fail("data_dir", "must not be empty") }
        do { _ = try AddressGuardAllowlist(parsing: webhookAllowlist) } catch { throw fail("webhooks.allow", error.message) }
        if let url = sessionsPublicURL, !(url.hasPrefix("http://") || url.hasPrefix("https://")) || url.hasSuffix("/") || url.contains(where: \.isWhitespace) {
            throw fail("sessions.public_url", "must be an http(s) URL without a trailing slash, e.g. https://plexus.example.com")
        }
        if !(1_024...(256 << 20)).contains(limits.maxBodyBytes) { throw fail("limits.max_body_bytes", "must be 1024...268435456 (256 MiB)") }
        if !(2...512).contains(limits.maxDepth) { throw fail("limits.max_depth", "must be 2...512") }
        if limits.maxBatch < 1 { throw fail("limits.max_batch", "must be at least 1") }
        if stream.clientQueue < 1 { throw fail("stream.client_queue", "must be at least 1") }
        if !(0...65_535).contains(mesh.port) { throw fail("mesh.port", "must be 0...65535, got \(mesh.port)") }
        for (i, seed) in mesh.seeds.enumerated() where !Self.isHostPort(seed) {
            throw fail("mesh.seeds[\(i)]", "must be host:port, got '\(seed)'")
        }
        if let advertise = mesh.advertise, !Self.isHostPort(advertise) { throw fail("mesh.advertise", "must be host:port, got '\(advertise)'") }
        if identity.isConfigured {
            for (key, value) in [("certificate", identity.certificate), ("key", identity.key), ("signing_key", identity.signingKey), ("ca", identity.ca)] where value == nil {
                throw fail("identity.\(key)", "is required when any identity file is given")
            }
        }
        do throws(EdgeError) {
            try edges.redis?.validate()
            try edges.nats?.validate()
        } catch {
            throw ConfigurationError(key: "edges", line: nil, message: error.message)
        }
        if store.kind == .postgres {
            guard let postgres = store.postgres else { throw fail("store.url", "is required when store.kind is postgres") }
            do throws(PostgresConfigurationError) { try postgres.validate() } catch {
                throw fail("store", error.description)
            }
        }
        if !Self.logLevels.contains(logLevel) { throw fail("log_level", "must be one of \(Self.logLevels.joined(separator: ", "))") }
    }

    public var databasePath: String { dataDir + "/log.sqlite" }

    /// Where a PostgreSQL log spools while the database is unreachable.
    public var postgresSpoolPath: String { dataDir + "/postgres-spool.sqlite" }

    static func isHostPort(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex, let port = Int(text[text.index(after: colon)...]) else { return false }
        return (1...65_535).contains(port)
    }
}
