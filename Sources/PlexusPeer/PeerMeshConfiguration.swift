import PlexusCore

/// How a node takes part in the mesh: where it listens for peer links, whom it contacts first,
/// the protocol settings, and the limits of its links.
public struct PeerMeshConfiguration: Sendable {
    /// Host and port the TLS listener binds (port 0: any free port, reported once bound).
    public var listenHost: String
    public var listenPort: Int
    /// `host:port` other nodes should dial; defaults to the bound listen address.
    public var advertise: String?
    /// `host:port` of nodes to contact at start; the rest of the mesh is learned from them.
    public var seeds: [String]
    public var settings: MeshSettings
    /// Link liveness, for idle links only: an outbound link that has sent nothing for
    /// `heartbeatInterval` sends a heartbeat, and is closed (its node probed at once) if the ack
    /// does not come within `heartbeatTimeout`; an inbound link that has heard nothing for three
    /// intervals is closed. Mesh traffic itself proves a busy link alive, and failure detection
    /// is SWIM's job, so heartbeats stay rare: a heartbeat per link per second would cost a full
    /// mesh O(N) packets per node per second — 27× Serf's idle traffic at N = 20.
    public var heartbeatInterval: Duration
    public var heartbeatTimeout: Duration
    /// Largest frame body accepted; a bigger length prefix closes the link before any body is read.
    public var maxFrameBytes: Int
    /// Frames queued per outbound link while it connects or its socket is full; beyond this the
    /// oldest are dropped (the mesh protocol tolerates loss; memory is never unbounded).
    public var outboundQueueLimit: Int
    /// The same bound in bytes (large frames fill it before the count does).
    public var outboundQueueBytes: Int
    /// Reconnect backoff after a failed dial: doubles from `reconnectMinimum` to `reconnectMaximum`.
    public var reconnectMinimum: Duration
    public var reconnectMaximum: Duration
    public var connectTimeout: Duration
    /// Globs of node ids this node forwards data to; nil: every member. Announced in the node's
    /// registry entry, so every node routes around the gaps (a frame from another peer is
    /// still taken: refusing it would only make its sender try elsewhere).
    public var neighbors: [String]?
    /// Extra cost (ms) this node declares for links to peers matching each glob.
    public var linkCosts: [String: Double] = [:]
    public var routing = RoutingSettings()

    public init(listenHost: String = "127.0.0.1", listenPort: Int = 0, advertise: String? = nil, seeds: [String] = [],
                settings: MeshSettings = .lan) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.advertise = advertise
        self.seeds = seeds
        self.settings = settings
        heartbeatInterval = .seconds(30)
        heartbeatTimeout = .seconds(10)
        maxFrameBytes = 4 << 20
        // Above the routing window (4,096 unacknowledged data frames per next hop) plus mesh traffic.
        outboundQueueLimit = 8_192
        outboundQueueBytes = 16 << 20
        reconnectMinimum = .milliseconds(100)
        reconnectMaximum = .seconds(5)
        connectTimeout = .seconds(2)
    }
}
