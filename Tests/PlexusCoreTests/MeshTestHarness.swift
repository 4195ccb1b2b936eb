import Testing
@testable import PlexusCore

// Helpers for the mesh core tests: a driver for one core (time and RNG in hand) and a tiny
// in-memory mesh that passes `.send` directives straight to other cores and fires `.schedule`
// timers in deadline order. No sockets, no clocks: everything runs in milliseconds.

extension MeshInstant {
    static func ms(_ v: Int64) -> MeshInstant { MeshInstant(nanoseconds: v * 1_000_000) }
    static func s(_ v: Int64) -> MeshInstant { MeshInstant(nanoseconds: v * 1_000_000_000) }
}

extension MeshSettings {
    /// The values these tests' expectations are written against, pinned so that tuning the `lan`
    /// defaults does not break them.
    static var pinned: MeshSettings {
        var s = MeshSettings()
        s.probeInterval = .seconds(1)
        s.probeTimeout = .milliseconds(500)
        s.indirectChecks = 3
        s.awarenessMaxMultiplier = 8
        s.gossipInterval = .milliseconds(200)
        s.gossipNodes = 3
        s.eagerGossipDelay = .milliseconds(10)
        s.retransmitMult = 4
        s.maxPiggybackBytes = 1_200
        s.maxGossipBytes = 16_384
        s.suspicionMinimum = .milliseconds(4_500)
        s.suspicionMaxMultiplier = 3
        s.suspicionConfirmations = 2
        s.antiEntropyInterval = .seconds(5)
        return s
    }
}

extension MeshCore {
    /// The regular probe of this protocol period, if one is in flight (out-of-band probes after
    /// `linkDown` live beside it in `probes`).
    var probe: ProbeState? { regularProbe.flatMap { probes[$0] } }

    /// Probes in flight that were started out of band (by `linkDown`).
    var outOfBandProbes: [ProbeState] { probes.values.filter(\.outOfBand).sorted { $0.seq < $1.seq } }
}

/// The same key for the same id, every run.
func meshKey(for id: NodeID) -> NodeSigningKey {
    var h = StableHash()
    h.combine(id.rawValue)
    var rng = SplitMix64(seed: h.value)
    return NodeSigningKey(using: &rng)
}

func makeCore(_ id: NodeID, settings: MeshSettings = .pinned, generation: UInt64 = 1, key: NodeSigningKey? = nil) -> MeshCore {
    MeshCore(id: id, address: id.rawValue, signingKey: key ?? meshKey(for: id), settings: settings, generation: generation)
}

/// A node entry for `owner` announcing `announced`'s public key, signed by `signer`.
func nodeEntry(_ owner: NodeID, signer: NodeSigningKey? = nil, announcing announced: NodeSigningKey? = nil,
               version: EntryVersion = EntryVersion(generation: 1, counter: 1)) -> RegistryEntry {
    let signer = signer ?? meshKey(for: owner)
    let announced = announced ?? signer
    let value: JSONValue = ["id": .string(owner.rawValue), "address": .string(owner.rawValue),
                            "signing_key": .string(Hex.encode(announced.publicKey))]
    return .signed(key: RegistryKey(owner: owner, kind: .node, id: owner.rawValue), version: version,
                   payload: value.serialized(), by: signer)
}

/// A subject (or other kind) entry owned by `owner`; `value: nil` makes a tombstone.
func entry(_ owner: NodeID, _ kind: RegistryKind = .subject, _ id: String, counter: UInt64, value: JSONValue? = ["v": 1],
           signer: NodeSigningKey? = nil) -> RegistryEntry {
    .signed(key: RegistryKey(owner: owner, kind: kind, id: id), version: EntryVersion(generation: 1, counter: counter),
            payload: value?.serialized(), by: signer ?? meshKey(for: owner))
}

extension [MeshDirective] {
    var sends: [(message: MeshMessage, to: Peer)] {
        compactMap { if case .send(let m, let p) = $0 { (m, p) } else { nil } }
    }
    var timers: [(timer: MeshTimer, after: Duration)] {
        compactMap { if case .schedule(let t, let d) = $0 { (t, d) } else { nil } }
    }
    var memberChanges: [MemberChange] {
        compactMap { if case .membershipChanged(let c) = $0 { c } else { nil } }
    }
    var registryChanges: [RegistryChange] {
        compactMap { if case .registryChanged(let c) = $0 { c } else { nil } }
    }
    /// The target of the (first) direct ping in these directives.
    var pingTarget: NodeID? {
        sends.first { if case .ping = $0.message { true } else { false } }?.to.id
    }
}

/// One core with its own clock and generator, started at `now` unless told otherwise.
struct CoreDriver {
    var core: MeshCore
    var rng: SplitMix64
    var now: MeshInstant
    var startOutput: [MeshDirective] = []

    init(_ id: NodeID = "a", seed: UInt64 = 7, settings: MeshSettings = .pinned, seeds: [String] = [],
         at now: MeshInstant = .zero, start: Bool = true) {
        core = makeCore(id, settings: settings)
        rng = SplitMix64(seed: seed)
        self.now = now
        if start {
            startOutput = core.start(seeds: seeds, now: now, rng: &rng)
            drain()
        }
    }

    var me: NodeID { core.me }

    mutating func receive(_ message: MeshMessage, from: NodeID) -> [MeshDirective] {
        core.receive(message, from: from, now: now, rng: &rng)
    }

    mutating func fire(_ timer: MeshTimer) -> [MeshDirective] {
        core.timerFired(timer, now: now, rng: &rng)
    }

    /// Fires the current probe timer (the only one that is not stale).
    mutating func probeTick() -> [MeshDirective] { fire(.probe(token: core.probeToken)) }

    mutating func linkDown(_ node: NodeID) -> [MeshDirective] { core.linkDown(node, now: now, rng: &rng) }

    mutating func advance(_ d: Duration) { now = now + d }

    /// Teaches the core that `ids` are alive, then forgets the resulting broadcasts.
    mutating func learn(_ ids: NodeID..., incarnation: UInt64 = 0) {
        _ = receive(.gossip(ids.map { .alive(id: $0, incarnation: incarnation, address: $0.rawValue) }), from: ids[0])
        drain()
    }

    /// Empties the broadcast queue and forgets the armed gossip timer, as if gossip had gone out,
    /// so the next call's directives are exactly what that call caused.
    mutating func drain() {
        _ = core.broadcasts.take(budget: .max, limit: 1)
        core.gossipDue = nil
    }
}

/// A few cores wired together in memory: sends are delivered after `latency`, timers fire at
/// their deadlines, all in one queue ordered by (time, insertion).
struct MeshHarness {
    enum Event: Equatable {
        case deliver(MeshMessage, from: NodeID)
        case timer(MeshTimer)
    }

    struct Scheduled {
        var at: MeshInstant
        var order: Int
        var node: NodeID
        var event: Event
    }

    /// Every directive every node emitted, with when and by whom (for determinism checks).
    struct LogLine: Equatable {
        var at: MeshInstant
        var node: NodeID
        var directive: MeshDirective
    }

    var ids: [NodeID]
    var cores: [NodeID: MeshCore] = [:]
    var rngs: [NodeID: SplitMix64] = [:]
    var queue: [Scheduled] = []
    var order = 0
    var now: MeshInstant = .zero
    var latency: Duration = .milliseconds(1)
    /// Crashed nodes: they receive nothing and their timers never fire.
    var down: Set<NodeID> = []
    /// Return true to lose a message in transit (`now` is when it is sent).
    var drop: (_ message: MeshMessage, _ from: NodeID, _ to: NodeID, _ now: MeshInstant) -> Bool = { _, _, _, _ in false }
    var log: [LogLine] = []

    init(_ ids: [NodeID], seed: UInt64 = 1, settings: MeshSettings = .pinned) {
        self.ids = ids
        for (i, id) in ids.enumerated() {
            cores[id] = makeCore(id, settings: settings)
            rngs[id] = SplitMix64(seed: seed &+ UInt64(i) &* 0x9E37_79B9)
        }
    }

    /// Starts every node at the current time with the first node as seed.
    mutating func startAll() {
        for id in ids { start(id, seeds: [ids[0].rawValue]) }
    }

    mutating func start(_ id: NodeID, seeds: [String]) {
        var rng = rngs[id]!
        let out = cores[id]!.start(seeds: seeds, now: now, rng: &rng)
        rngs[id] = rng
        carry(out, for: id)
    }

    /// Runs a local input (publish, leave, …) on one node and carries out its directives.
    mutating func act(_ id: NodeID, _ body: (inout MeshCore, MeshInstant) -> [MeshDirective]) {
        let out = body(&cores[id]!, now)
        carry(out, for: id)
    }

    mutating func carry(_ out: [MeshDirective], for id: NodeID) {
        for d in out {
            log.append(LogLine(at: now, node: id, directive: d))
            switch d {
            case .send(let message, let peer):
                let to = peer.id ?? NodeID(peer.address)
                guard to != id, cores[to] != nil, !drop(message, id, to, now) else { continue }
                push(at: now + latency, to, .deliver(message, from: id))
            case .schedule(let timer, let after):
                push(at: now + after, id, .timer(timer))
            case .membershipChanged, .registryChanged:
                break
            }
        }
    }

    mutating func push(at: MeshInstant, _ node: NodeID, _ event: Event) {
        order += 1
        queue.append(Scheduled(at: at, order: order, node: node, event: event))
    }

    /// Processes the earliest event; false when none is due by `limit`.
    mutating func step(until limit: MeshInstant) -> Bool {
        guard let i = queue.indices.min(by: { (queue[$0].at, queue[$0].order) < (queue[$1].at, queue[$1].order) }),
              queue[i].at <= limit else { return false }
        let next = queue.remove(at: i)
        now = next.at
        guard !down.contains(next.node) else { return true }
        var rng = rngs[next.node]!
        let out: [MeshDirective]
        switch next.event {
        case .deliver(let message, let from):
            out = cores[next.node]!.receive(message, from: from, now: now, rng: &rng)
        case .timer(let timer):
            out = cores[next.node]!.timerFired(timer, now: now, rng: &rng)
        }
        rngs[next.node] = rng
        carry(out, for: next.node)
        return true
    }

    mutating func run(for d: Duration) {
        let limit = now + d
        while step(until: limit) {}
        now = limit
    }

    func status(of id: NodeID, at observer: NodeID) -> Member.Status? {
        cores[observer]!.member(id)?.status
    }

    /// True when every running node sees every other running node alive and all digests match.
    var converged: Bool {
        let up = ids.filter { !down.contains($0) }
        for a in up {
            for b in up where a != b && status(of: b, at: a) != .alive { return false }
        }
        let roots = up.map { cores[$0]!.digestRoots }
        return roots.allSatisfy { $0.members == roots[0].members && $0.registry == roots[0].registry }
    }
}

extension MeshMessage {
    /// The case name, for asserting the shape of an exchange.
    var kind: String {
        switch self {
        case .ping: "ping"
        case .pingReq: "pingReq"
        case .ack: "ack"
        case .nack: "nack"
        case .gossip: "gossip"
        case .syncDigest: "syncDigest"
        case .syncBuckets: "syncBuckets"
        case .syncSummary: "syncSummary"
        case .syncUpdate: "syncUpdate"
        }
    }

    var isSync: Bool { kind.hasPrefix("sync") }
}

/// Plays anti-entropy messages back and forth between two drivers until neither has more to say.
/// Only sync messages are carried (gossip and probes are dropped), starting with the sync sends in
/// `out`, which `sender` emitted. Returns the messages in delivery order.
@discardableResult
func exchange(_ a: inout CoreDriver, _ b: inout CoreDriver, starting out: [MeshDirective], from sender: NodeID) -> [MeshMessage] {
    var pending = out.sends.filter { $0.message.isSync }.map { ($0.message, sender) }
    var delivered: [MeshMessage] = []
    while !pending.isEmpty {
        let (message, from) = pending.removeFirst()
        delivered.append(message)
        let replier = from == a.me ? b.me : a.me
        let reply = from == a.me ? b.receive(message, from: from) : a.receive(message, from: from)
        pending += reply.sends.filter { $0.message.isSync }.map { ($0.message, replier) }
    }
    return delivered
}
