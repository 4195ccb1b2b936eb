import OrderedCollections

/// The mesh protocol of one node as a pure state machine: SWIM membership with the Lifeguard
/// extensions, gossip of broadcasts, the signed registry and digest-based anti-entropy.
///
/// Every input is a method taking `now` (and a random source where a choice is made) and
/// returning directives for the shell: send, schedule a timer, report a change. The real node
/// and the simulator drive this same type; see docs/mesh-protocol.md.
public struct MeshCore: Sendable {
    public let me: NodeID
    public let address: String
    public let settings: MeshSettings
    let signer: NodeSigningKey

    public internal(set) var incarnation: UInt64 = 0
    /// Accusers already answered directly at the current incarnation (see `answer(accuser:)`).
    var answered: Set<NodeID> = []
    /// Every other node this node knows, in any state.
    public internal(set) var members: [NodeID: Member] = [:]
    /// Alive and suspect members (not self), for uniform random choice.
    var active = ActiveSet()
    var memberDigest = DigestLeaves()
    public internal(set) var registry = Registry()
    var ownVersion: EntryVersion
    var ownRecord: JSONObject

    var probeOrder: [NodeID] = []
    var probeIndex = 0
    var probeToken: UInt64 = 0
    /// Probes in flight by sequence number: the regular one of this protocol period and any
    /// out-of-band ones (after a link reset).
    var probes: [UInt32: ProbeState] = [:]
    var regularProbe: UInt32?
    /// This period's probes of watched forwarding neighbours, settled with the regular one.
    var neighborProbes: [UInt32] = []
    var nextSeq: UInt32 = 0
    var relays: [UInt32: Relay] = [:]
    /// Lifeguard's local health score, 0 (healthy) to `awarenessMaxMultiplier - 1`.
    public internal(set) var awareness = 0
    var suspicions: [NodeID: Suspicion] = [:]
    var suspicionToken: UInt64 = 0

    var broadcasts = BroadcastQueue()
    var gossipToken: UInt64 = 0
    var gossipDue: MeshInstant?

    var seeds: [String] = []
    var syncRound: UInt32 = 0
    var syncSessions: [UInt32: SyncSession] = [:]

    var links: [NodeID: LinkStat] = [:]
    var publishedLinks: [String: LinkStat] = [:]
    var lastLinkPublish: MeshInstant?
    var lastLinkCheck: MeshInstant?
    /// Peers back from dead or gone (restarted) since the last link check: their links are
    /// checked at the next housekeeping, not the next scheduled check (`publishHealthIfMoved`).
    var linksBack: Set<NodeID> = []
    var health = NodeHealth(load: 0, queueDepth: 0)
    var publishedHealth: NodeHealth?
    var lastHealthPublish: MeshInstant?

    public internal(set) var stats = MeshStats()
    public internal(set) var started = false
    public internal(set) var leaving = false

    /// - Parameters:
    ///   - generation: rises on every start of this node (its start time in ms), so entries it
    ///     signs after a restart supersede those it signed before.
    ///   - record: the node entry's descriptive fields (organisation, cluster, capabilities, …);
    ///     the core adds `id`, `address` and `signing_key`.
    ///   - trust: whose entries to believe and what each may announce (`OpenTrust` in the
    ///     simulator; certificate trust on real nodes).
    ///   - signatureCache: a memo of valid signatures shared by many cores (the simulator's);
    ///     a real node passes none and checks every signature.
    public init(id: NodeID, address: String, signingKey: NodeSigningKey, settings: MeshSettings = .lan,
                generation: UInt64, record: JSONObject = [:], trust: any RegistryTrust = OpenTrust(),
                signatureCache: SignatureCache? = nil) {
        self.me = id
        self.address = address
        self.settings = settings
        self.signer = signingKey
        self.ownVersion = EntryVersion(generation: generation, counter: 0)
        self.ownRecord = record
        self.registry = Registry(trust: trust, signatureCache: signatureCache)
        memberDigest.insert(keyHash: Self.memberKeyHash(id), itemHash: Self.memberItemHash(id, 0))
    }

    /// Starts the protocol: announces this node's entry, arms the timers and contacts `seeds`
    /// (addresses; the real node learns their ids from their certificates).
    public mutating func start(seeds: [String], now: MeshInstant, rng: inout some RandomNumberGenerator) -> [MeshDirective] {
        precondition(!started, "start called twice")
        started = true
        self.seeds = seeds.filter { $0 != address }
        var out: [MeshDirective] = []
        var record = ownRecord
        record["id"] = .string(me.rawValue)
        record["addresses"] = [.string(address)]
        record["signing_key"] = .string(Hex.encode(signer.publicKey))
        out += publishOwn(kind: .node, id: me.rawValue, value: .object(record), now: now)
        enqueue(.alive(id: me, incarnation: incarnation, address: address))
        probeToken += 1
        out.append(.schedule(.probe(token: probeToken), after: settings.probeInterval.scaled(by: rng.nextUnit())))
        out.append(.schedule(.antiEntropy, after: settings.antiEntropyInterval))
        out.append(.schedule(.housekeeping, after: .seconds(1)))
        for seed in self.seeds {
            out += startSync(with: Peer(id: nil, address: seed), join: true, now: now)
        }
        return out
    }

    /// One message from `from` (the shell knows the sender from the link).
    public mutating func receive(_ message: MeshMessage, from: NodeID, now: MeshInstant, rng: inout some RandomNumberGenerator) -> [MeshDirective] {
        guard started else { return [] }
        stats.messagesReceived += 1
        var out: [MeshDirective] = []
        switch message {
        case .ping(let seq, let gossip):
            out += apply(gossip, from: from, now: now)
            var reply = broadcasts.take(budget: settings.maxPiggybackBytes, limit: retransmitLimit)
            if let m = members[from], m.status == .dead {
                // Tell a node we think is dead, so it can refute at once (memberlist only gossips
                // to the dead for a while; a direct word is faster and costs nothing extra).
                reply.append(.dead(id: from, incarnation: m.incarnation, from: me))
            }
            out.append(.send(.ack(seq: seq, gossip: reply), to: peer(from)))
        case .pingReq(let seq, let target, let targetAddress, let gossip):
            out += apply(gossip, from: from, now: now)
            out += relayPing(for: from, originSeq: seq, target: target, address: targetAddress, now: now)
        case .ack(let seq, let gossip):
            out += apply(gossip, from: from, now: now)
            out += handleAck(seq: seq, from: from, now: now)
        case .nack(let seq):
            probes[seq]?.nacks += 1
        case .gossip(let gossip):
            out += apply(gossip, from: from, now: now)
        case .syncDigest(let digest):
            out += handleDigest(digest, from: from, now: now)
        case .syncBuckets(let buckets):
            out += handleBuckets(buckets, from: from)
        case .syncSummary(let summary):
            out += handleSummary(summary, from: from)
        case .syncUpdate(let members, let entries):
            out += handleUpdate(members: members, entries: entries, from: from, now: now)
        }
        out += armEagerGossip(now: now)
        return out
    }

    /// A timer armed by an earlier `.schedule` directive has fired.
    public mutating func timerFired(_ timer: MeshTimer, now: MeshInstant, rng: inout some RandomNumberGenerator) -> [MeshDirective] {
        guard started else { return [] }
        var out: [MeshDirective] = []
        switch timer {
        case .probe(let token):
            guard token == probeToken else { return [] }
            out += probeTick(now: now, rng: &rng)
        case .probeTimeout(let seq):
            out += probeTimedOut(seq: seq, now: now, rng: &rng)
        case .probeEnd(let seq):
            out += finishProbe(seq: seq, now: now)
        case .relayTimeout(let seq):
            if let relay = relays.removeValue(forKey: seq) {
                out.append(.send(.nack(seq: relay.originSeq), to: peer(relay.origin)))
            }
        case .suspicion(let node, let token):
            out += suspicionFired(node, token: token, now: now)
        case .gossip(let token):
            guard token == gossipToken else { return [] }
            out += gossipTick(now: now, rng: &rng)
        case .antiEntropy:
            out += antiEntropyTick(now: now, rng: &rng)
            out.append(.schedule(.antiEntropy, after: settings.antiEntropyInterval))
        case .housekeeping:
            out += housekeeping(now: now)
            out.append(.schedule(.housekeeping, after: .seconds(1)))
        }
        out += armEagerGossip(now: now)
        return out
    }

    /// Writes (or with `nil`, deletes) an entry this node owns: a subject homed here, a backbone
    /// record written through this node's API. Kinds that describe the node itself are managed by
    /// the core and cannot be written here.
    public mutating func publish(kind: RegistryKind, id: String, value: JSONValue?, now: MeshInstant) -> [MeshDirective] {
        precondition(!kind.isPerNode, "node, node_health and link_health entries are managed by the core")
        return publishOwn(kind: kind, id: id, value: value, now: now) + armEagerGossip(now: now)
    }

    /// Announces the topic patterns this node has local interest in (stream subscribers, push
    /// subscriptions, edges), so origins send it matching messages; none withdraws the entry.
    public mutating func setInterest(_ patterns: [String], now: MeshInstant) -> [MeshDirective] {
        let value: JSONValue? = patterns.isEmpty ? nil : ["patterns": .array(patterns.sorted().map { .string($0) })]
        guard registry[RegistryKey(owner: me, kind: .interest, id: me.rawValue)]?.value != value else { return [] }
        return publishOwn(kind: .interest, id: me.rawValue, value: value, now: now) + armEagerGossip(now: now)
    }

    /// The shell's latest load figures; published when they move enough (see settings).
    public mutating func updateHealth(load: Double, queueDepth: Int) {
        health = NodeHealth(load: load, queueDepth: queueDepth)
    }

    /// Graceful leave: tells the mesh this node is going, so peers mark it `left` at once instead
    /// of suspecting it.
    public mutating func leave(now: MeshInstant) -> [MeshDirective] {
        leaving = true
        enqueue(.dead(id: me, incarnation: incarnation, from: me))
        return armEagerGossip(now: now)
    }

    /// A peer link (re)connected: run an anti-entropy round with that peer at once, so whatever
    /// either side missed while apart is repaired now rather than at the next period.
    public mutating func peerConnected(_ node: NodeID, now: MeshInstant) -> [MeshDirective] {
        guard started, node != me else { return [] }
        return startSync(with: peer(node), join: false, now: now)
    }

    /// The link to `node` broke (the peer's process died and its kernel reset the connection, or
    /// the network dropped it): probe it now rather than when its turn comes.
    public mutating func linkDown(_ node: NodeID, now: MeshInstant, rng: inout some RandomNumberGenerator) -> [MeshDirective] {
        probeNow(node, now: now, rng: &rng)
    }

    /// Something outside the protocol saw `node` go quiet (its link broke, or it stopped
    /// acknowledging forwarded data): probe it out of turn, unless a probe of it is running.
    /// An ordinary SWIM probe — direct ping, then indirect ones — so only a node that answers
    /// neither is suspected; the outside evidence only moves the probe earlier.
    public mutating func probeNow(_ node: NodeID, now: MeshInstant, rng: inout some RandomNumberGenerator) -> [MeshDirective] {
        guard started, let m = members[node], m.isActive, !probes.values.contains(where: { $0.target == node }) else { return [] }
        return startProbe(of: node, now: now, rng: &rng, kind: .outOfBand)
    }

    // MARK: - Queries

    public var activeMemberCount: Int { active.count }

    /// Alive and suspect members other than this node.
    public var activeMemberIDs: [NodeID] { active.ids }

    /// Roots of the membership and registry digests: equal roots on two nodes mean they agree on
    /// who is in the mesh and on every registry entry (what anti-entropy compares first).
    public var digestRoots: (members: UInt64, registry: UInt64) { (memberDigest.root, registry.digest.root) }

    public func member(_ id: NodeID) -> Member? { members[id] }

    /// Measured round-trip time and loss of this node's probes to each peer (what it gossips as
    /// its link health).
    public var linkStats: [NodeID: LinkStat] { links }

    public func peer(_ id: NodeID) -> Peer { Peer(id: id, address: members[id]?.address ?? id.rawValue) }

    var retransmitLimit: Int { settings.retransmitLimit(members: active.count + 1) }
}

/// Counters the core exposes; shells turn them into metrics.
public struct MeshStats: Sendable, Equatable {
    public var messagesReceived = 0
    public var probesSent = 0
    public var probesFailed = 0
    public var indirectProbes = 0
    public var suspicionsRaised = 0
    public var refutations = 0
    public var deadDeclared = 0
    public var syncRounds = 0
    public var syncRepairs = 0
    public init() {}
}
