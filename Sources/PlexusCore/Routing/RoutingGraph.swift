import Collections

/// What every node knows about the mesh for routing, kept current from the gossiped registry:
/// which nodes are up, which links they measured (RTT, loss), their load, which peers each may
/// forward to, where subjects are homed and which topics each node has interest in.
///
/// Updated per owner from registry changes (`refresh(owner:from:)`), so a change of one node's
/// entries costs only that node's parsing; `version` rises whenever routing could change.
public struct RoutingGraph: Sendable {
    public struct NodeInfo: Sendable, Equatable {
        /// Globs of node ids this node forwards to; nil: any member.
        public var neighbors: [String]?
        /// Extra cost in milliseconds this node declares for links to peers matching each glob
        /// (`mesh.link_costs`): an expensive or metered link becomes a backup path.
        public var linkCosts: [LinkCost] = []
        public var links: [NodeID: LinkStat] = [:]
        public var load = 0.0
        public var interest: [TopicPattern] = []
        public var subjects: [String] = []
    }

    public let me: NodeID
    public private(set) var nodes: [NodeID: NodeInfo] = [:]
    /// Members considered up (alive; suspects are excluded at once). `me` is always up.
    public private(set) var up: Set<NodeID> = []
    public private(set) var homes: [String: [NodeID]] = [:]
    /// Subjects that had no home and got one since the routing core last took them
    /// (`takeNewlyHomed`): messages waiting for exactly these can go on.
    public private(set) var newlyHomed: [String] = []
    public private(set) var version: UInt64 = 0
    /// The version of each per-node entry last parsed into `nodes`.
    private var parsedVersions: [RegistryKey: EntryVersion] = [:]

    public init(me: NodeID) {
        self.me = me
        up = [me]
    }

    /// Re-reads `owner`'s node, link, health, interest and subject entries. Only entries whose
    /// version moved since the last read are parsed again: during a 200-node start-up an owner
    /// changes one entry at a time, and parsing all five every time was a fifth of the work.
    public mutating func refresh(owner: NodeID, from registry: Registry) {
        let old = nodes[owner]
        var info = old ?? NodeInfo()
        func changed(_ kind: RegistryKind) -> JSONValue?? {
            let key = RegistryKey(owner: owner, kind: kind, id: owner.rawValue)
            let entry = registry[key]
            guard entry?.version != parsedVersions[key] || old == nil else { return .none }
            parsedVersions[key] = entry?.version
            return .some(entry?.value)
        }
        if case .some(let node) = changed(.node) {
            info.neighbors = nil
            info.linkCosts = []
            if case .array(let list)? = node?["neighbors"] { info.neighbors = list.compactMap(\.stringValue) }
            if case .object(let costs)? = node?["link_costs"] {
                info.linkCosts = costs.keys.sorted().compactMap { glob in
                    costs[glob]?.doubleValue.flatMap { $0.isFinite && $0 >= 0 ? LinkCost(peers: glob, milliseconds: $0) : nil }
                }
            }
        }
        if case .some(let links) = changed(.linkHealth) {
            info.links = [:]
            if case .object(let object)? = links?["links"] {
                for (peer, stat) in object {
                    guard let rtt = stat["rtt_ms"]?.doubleValue else { continue }
                    info.links[NodeID(peer)] = LinkStat(rttMilliseconds: rtt, loss: stat["loss"]?.doubleValue ?? 0)
                }
            }
        }
        if case .some(let health) = changed(.nodeHealth) {
            info.load = health?["load"]?.doubleValue ?? 0
        }
        if case .some(let interest) = changed(.interest) {
            info.interest = []
            if case .array(let patterns)? = interest?["patterns"] {
                info.interest = patterns.compactMap { $0.stringValue.flatMap { try? TopicPattern($0) } }
            }
        }
        info.subjects = registry.live(.subject, owner: owner).map(\.key.id)
        guard old != info else { return }
        for s in old?.subjects ?? [] where !info.subjects.contains(s) {
            homes[s]?.removeAll { $0 == owner }
            if homes[s]?.isEmpty == true { homes[s] = nil }
        }
        for s in info.subjects where !(homes[s]?.contains(owner) ?? false) {
            if homes[s] == nil { newlyHomed.append(s) }
            homes[s, default: []].append(owner)
            homes[s]!.sort()
        }
        nodes[owner] = info
        version &+= 1
    }

    mutating func takeNewlyHomed() -> [String] {
        defer { newlyHomed = [] }
        return newlyHomed
    }

    /// A member's status changed: only alive members (and this node) carry traffic.
    public mutating func setStatus(_ node: NodeID, _ status: Member.Status) {
        guard node != me else { return }
        let isUp = status == .alive
        if isUp != up.contains(node) {
            if isUp { up.insert(node) } else { up.remove(node) }
            version &+= 1
        }
    }

    /// Whether `a` and `b` may exchange data: both allow each other.
    func allowed(_ a: NodeID, _ b: NodeID) -> Bool {
        Namespace.matches(nodes[a]?.neighbors, b.rawValue) && Namespace.matches(nodes[b]?.neighbors, a.rawValue)
    }

    /// The extra cost `a` declared for its link to `b` (the first matching glob), else 0.
    func declaredCost(_ a: NodeID, toward b: NodeID) -> Double {
        nodes[a]?.linkCosts.first { Glob.matches(pattern: Array($0.peers.utf8), Array(b.rawValue.utf8)) }?.milliseconds ?? 0
    }

    /// Nodes up now with interest in `topic` (this node included if it has some), in id order.
    /// A node that is down, left or dead is no target: its subscribers went with it, and
    /// holding messages for it would fill origins' outboxes with what nobody will read.
    public func interested(in topic: String) -> [NodeID] {
        nodes.filter { up.contains($0.key) && $0.value.interest.contains { $0.matches(topic) } }.keys.sorted()
    }

    /// Which of `subjects` are homed at this node.
    public func homedHere(_ subjects: [String]) -> [String] {
        subjects.filter { homes[$0]?.contains(me) ?? false }
    }
}

/// An operator-declared extra cost for links to some peers.
public struct LinkCost: Sendable, Equatable {
    public var peers: String
    public var milliseconds: Double

    public init(peers: String, milliseconds: Double) {
        self.peers = peers
        self.milliseconds = milliseconds
    }
}

extension Registry {
    /// Live entries of one kind written by one owner.
    public func live(_ kind: RegistryKind, owner: NodeID) -> [RegistryEntry] {
        keys(of: owner).filter { $0.kind == kind }.sorted().compactMap { key in entries[key].flatMap { $0.isTombstone ? nil : $0 } }
    }
}
