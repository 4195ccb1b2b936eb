import PlexusCore

/// What the registry and mesh routes need from the node's mesh: a consistent picture of it, and
/// a way to write entries this node owns. The node shell implements it over the mesh driver.
public protocol MeshAccess: Sendable {
    func view() async throws -> MeshView
    /// Writes (or with `nil`, deletes) an entry owned by this node; every node sees it after
    /// gossip converges.
    func publish(kind: RegistryKind, id: String, value: JSONValue?) async throws
    /// This node's route table, forwarding counters and outbox size (`GET /v1/routes`).
    func routes() async throws -> JSONValue
}

/// One node's picture of the mesh at an instant.
public struct MeshView: Sendable {
    public struct MemberView: Sendable {
        public var id: NodeID
        public var address: String
        public var status: Member.Status
        public var incarnation: UInt64
        /// Whether a peer link to it is up right now, and its heartbeat round-trip time.
        public var connected: Bool
        public var heartbeatRTTMilliseconds: Double?
        /// The core's probe statistics for it (what is gossiped as link health).
        public var probeRTTMilliseconds: Double?
        public var loss: Double?

        public init(id: NodeID, address: String, status: Member.Status, incarnation: UInt64, connected: Bool,
                    heartbeatRTTMilliseconds: Double?, probeRTTMilliseconds: Double?, loss: Double?) {
            self.id = id
            self.address = address
            self.status = status
            self.incarnation = incarnation
            self.connected = connected
            self.heartbeatRTTMilliseconds = heartbeatRTTMilliseconds
            self.probeRTTMilliseconds = probeRTTMilliseconds
            self.loss = loss
        }
    }

    public var node: NodeID
    public var organisation: String
    public var cluster: String
    public var address: String
    public var incarnation: UInt64
    public var members: [MemberView]
    /// Every registry entry this node holds (tombstones excluded), in key order.
    public var entries: [RegistryEntry]
    public var registryStats: Registry.Stats
    public var meshStats: MeshStats
    /// Transport counters by name (refused handshakes, protocol errors, dropped frames…).
    public var transport: [(String, Int)]

    public init(node: NodeID, organisation: String, cluster: String, address: String, incarnation: UInt64,
                members: [MemberView], entries: [RegistryEntry], registryStats: Registry.Stats, meshStats: MeshStats,
                transport: [(String, Int)]) {
        self.node = node
        self.organisation = organisation
        self.cluster = cluster
        self.address = address
        self.incarnation = incarnation
        self.members = members
        self.entries = entries
        self.registryStats = registryStats
        self.meshStats = meshStats
        self.transport = transport
    }

    public func entries(_ kind: RegistryKind) -> [RegistryEntry] { entries.filter { $0.key.kind == kind } }
}
