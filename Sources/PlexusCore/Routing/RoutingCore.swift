import Collections
import HeapModule

/// Routing and store-and-forward of one node as a pure state machine: it keeps the routing
/// graph and route table current from the mesh core, decides for every message which node
/// takes it next, holds each message until every next hop has acknowledged custody, and moves
/// it to the alternative route when a next hop fails.
///
/// Like `MeshCore`, every input takes `now` and returns directives; the real node and the
/// simulator drive this same type. Durability is the shell's: an accepted message is held as
/// not yet durable until the shell reports `persisted`, and only then are acks and sends
/// released, so nothing is acknowledged upstream before it is safe here (docs/routing.md).
public struct RoutingCore: Sendable {
    public let me: NodeID
    public var settings: RoutingSettings
    public private(set) var graph: RoutingGraph
    var table: RouteTable
    var ownLinks: [NodeID: LinkStat] = [:]

    /// Messages in this node's custody (the outbox); `Held.sequence` gives their age.
    var held: [MessageID: Held] = [:]
    var heldSequence: UInt64 = 0
    /// Recent messages that passed through here: whether they were delivered (or originated)
    /// here — a copy arriving again is acknowledged, not delivered twice — and which peers they
    /// were handed to, so a copy coming back around a loop is not handed the same way again.
    /// (Copies for other targets are duplicates only while held: see `receive`.)
    var memory: RecentMemory<MessageID, Memory>
    var flights: [UInt64: Flight] = [:]
    var flightsByHop: [NodeID: FIFOSet<UInt64>] = [:]
    /// Transmissions given up on (timed out, or their hop failed) whose ack may still come: the
    /// ack proves the peer took custody, so the targets still waiting are released then.
    var lateFlights: RecentMemory<UInt64, Flight>
    var nextTransmission: UInt64 = 1
    var deadlines = Heap<Deadline>()
    /// Held messages with targets to (re)send now.
    var ready = FIFOSet<MessageID>()
    /// Held messages waiting for a route or backing off, by when to look again.
    var parked = Heap<Deadline>()
    /// Held messages waiting for a subject that no node announces, by subject. They need no
    /// timer: the graph change that gives the subject a home readies exactly these (see
    /// `rerouteAfterChange`, `RoutingGraph.newlyHomed`). Before, each woke every
    /// `maxRetryInterval` and again at every graph change, and 300,000 of them kept a node's
    /// core busy with nothing to send.
    var waitingForHome: [String: FIFOSet<MessageID>] = [:]
    /// When each message waiting for a home expires (one entry per message, see
    /// `Held.expiryWatched`): it is dead-lettered then if it still waits.
    var homelessExpiry = Heap<Deadline>()
    var ackTimers: [NodeID: AckTimer] = [:]
    /// Multiplier on a hop's ack timeout, doubled by each timeout and reset by a fresh sample.
    var ackBackoff: [NodeID: Double] = [:]
    /// The latest first transmission (not a copy sent again) each next hop acked: an older one
    /// it has not acked by its deadline was lost, not queued (`timerFired`).
    var highestAcked: [NodeID: UInt64] = [:]
    /// When each next hop's oldest transmission was last sent again as a probe (`timerFired`).
    var probedAt: [NodeID: MeshInstant] = [:]
    /// Since when each next hop has had messages outstanding without acking any.
    var silentSince: [NodeID: MeshInstant] = [:]
    /// Next hops that missed an ack: avoided until the instant, or until they ack again.
    var failedHops: [NodeID: MeshInstant] = [:]
    /// Each next hop's congestion window (unacked transmissions allowed), when it moved from
    /// `settings.initialWindow`, and when it was last cut.
    var windows: [NodeID: Double] = [:]
    var windowCut: [NodeID: MeshInstant] = [:]
    /// Messages waiting for room in a next hop's window, re-readied as its acks arrive.
    var windowWaiting: [NodeID: FIFOSet<MessageID>] = [:]
    /// The nodes interested in each topic messages were originated on, for the graph version
    /// they were computed from: matching every node's patterns (and sorting the matches) for
    /// every message cost more than the rest of `originate` on a mesh of a few hundred nodes.
    var interestByTopic: [String: [NodeID]] = [:]
    var interestVersion: UInt64?
    var retryToken: UInt64 = 0
    /// Members last seen dead or gone: when one is alive again it restarted, and the hold on it
    /// as a failed hop ends (`meshChanged`).
    var restarting: Set<NodeID> = []
    var retryAt: MeshInstant?
    public internal(set) var stats = ForwardingStats()

    public init(me: NodeID, settings: RoutingSettings = RoutingSettings()) {
        self.me = me
        self.settings = settings
        self.graph = RoutingGraph(me: me)
        self.table = RouteTable(me: me)
        self.memory = RecentMemory(capacity: settings.dedupeWindow)
        self.lateFlights = RecentMemory(capacity: 4 * settings.maxInFlightPerHop)
    }

    // MARK: - Mesh state

    /// Re-reads what changed in the mesh core: the owners whose registry entries changed and
    /// the members whose status changed (from the core's directives), plus this node's own link
    /// measurements. Returns sends for held messages whose route appeared or moved.
    public mutating func meshChanged(_ mesh: MeshCore, owners: some Sequence<NodeID>, members: some Sequence<NodeID>, now: MeshInstant) -> [ForwardDirective] {
        let before = graph.version
        for owner in owners { graph.refresh(owner: owner, from: mesh.registry) }
        for node in members {
            let status = mesh.member(node)?.status
            graph.setStatus(node, status ?? .dead)
            // Back from dead or gone (a restart): the silence it was failed for is over. Held as
            // failed for the rest of `failedHopHold`, it sent messages for it round the
            // alternative — back to the peer they came from, which then avoided both
            // (simulations/routing-relay-crash.yaml, seed 19: held 15 s past the restart). A
            // suspicion cleared keeps the hold: a node that missed acks may miss them again, and
            // any ack from it lifts the hold anyway.
            switch status {
            case .dead?, .left?: restarting.insert(node)
            case .alive?: if restarting.remove(node) != nil { failedHops[node] = nil }
            case .suspect?: break
            case nil: restarting.remove(node)  // forgotten: nothing left to clear when it returns
            }
        }
        ownLinks = mesh.linkStats
        guard graph.version != before else { return [] }
        return rerouteAfterChange(now: now)
    }

    /// Reads the whole mesh core (at start, and in tests).
    public mutating func syncAll(_ mesh: MeshCore, now: MeshInstant) -> [ForwardDirective] {
        var owners = Set(mesh.registry.entries.keys.map(\.owner))
        owners.formUnion(graph.nodes.keys)
        return meshChanged(mesh, owners: owners.sorted(), members: mesh.members.keys.sorted(), now: now)
    }

    /// The route table, recomputed if the graph changed since.
    public mutating func routes() -> RouteTable {
        if table.graphVersion != graph.version {
            table = RouteTable.compute(graph, settings: settings)
        }
        return table
    }

    /// A peer link broke: messages in flight on it move to their alternatives now.
    public mutating func linkDown(_ node: NodeID, now: MeshInstant) -> [ForwardDirective] {
        failHop(node, now: now)
        return dispatch(now: now)
    }

    /// After the graph changed: in-flight messages on hops that are no longer up move at once;
    /// parked ones look again.
    mutating func rerouteAfterChange(now: MeshInstant) -> [ForwardDirective] {
        for hop in flightsByHop.keys.sorted() where !graph.up.contains(hop) {
            failHop(hop, now: now)
        }
        // Messages waiting for a hop's window may have another route now.
        for hop in windowWaiting.keys.sorted() { releaseWindow(of: hop) }
        // Messages for subjects that have a home now (only those: a graph change costs the
        // messages that wait for other names nothing).
        for subject in graph.takeNewlyHomed() {
            for id in waitingForHome.removeValue(forKey: subject) ?? [] { lookAgain(id, now: now) }
        }
        // Parked messages were waiting for exactly this: look again now, not after their backoff.
        while let p = parked.popMin() { lookAgain(p.id, now: now) }
        return dispatch(now: now)
    }

    /// The graph changed in a way that may give `id` a way on: it goes now, without waiting out
    /// a backoff — and without the peers it avoided (it came back from them) if its routes are
    /// no longer the ones it came back on. While they are, it keeps avoiding them: while a
    /// partition is being detected the graph changes every few hundred milliseconds without
    /// the routes into the cut changing, and clearing the avoidance at each change sent a
    /// message round the same loop of gateways again and again, until its hop limit
    /// dead-lettered it (an acknowledged message lost: simulations/routing-partition.yaml with
    /// seeds 7 and 8).
    private mutating func lookAgain(_ id: MessageID, now: MeshInstant) {
        guard var h = held[id] else { return }
        for t in Array(h.pending.keys) where h.pending[t]!.transmission == nil { h.pending[t]!.notBefore = now }
        if !h.avoid.isEmpty, routesMoved(for: h) { h.avoid = [] }
        held[id] = h
        ready.append(id)
    }

    /// Whether a node target `h` still waits for has other route options than when it came
    /// back, or had none recorded then (added since, or a subject's home resolved since).
    /// Targets acked since do not count: a fan-out message whose other targets went on
    /// meanwhile keeps its avoidance for the rest.
    mutating func routesMoved(for h: Held) -> Bool {
        let table = routes()
        for case .node(let destination) in h.pending.keys {
            guard let before = h.avoidedOn[destination], before == RouteOptions(table[destination]) else { return true }
        }
        return false
    }

    /// `h` came back from `peers`: it avoids them until `avoidUntil`, or until its routes move.
    mutating func avoid(_ peers: some Sequence<NodeID>, _ h: inout Held, now: MeshInstant) {
        h.avoid.formUnion(peers)
        h.avoidUntil = now + settings.failedHopHold
        let table = routes()
        h.avoidedOn = [:]
        for case .node(let destination) in h.pending.keys { h.avoidedOn[destination] = RouteOptions(table[destination]) }
    }
}

extension RoutingCore {
    struct Held: Sendable {
        var payload: [UInt8]
        var hopCount: UInt8
        var pending: OrderedDictionary<RouteTarget, TargetState>
        var expires: MeshInstant
        var durable: Bool
        /// Upstream transmissions to acknowledge once durable.
        var acksOwed: [(DataAck, NodeID)] = []
        var deliverHere = false
        /// The peer it came from: not handed straight back there while another way exists.
        var from: NodeID?
        /// Targets added by a later copy whose append has not committed yet.
        var unpersisted: [RouteTarget] = []
        /// It was durable once (before targets were added), so `abandon` keeps it.
        var wasDurable = false
        /// Its age in the outbox.
        var sequence: UInt64 = 0
        /// Peers not to hand it to (until `avoidUntil` or its routes move): it came back from
        /// them, or came back here after being handed to them — a loop while route tables
        /// disagree. Without this a message can circle three or more nodes until the hop limit.
        var avoid: Set<NodeID> = []
        var avoidUntil = MeshInstant.zero
        /// The routes of its node targets when it came back: a graph change that leaves them as
        /// they were does not lift the avoidance (`RoutingCore.routesMoved`).
        var avoidedOn: [NodeID: RouteOptions] = [:]
        /// Peers whose late acks of transmissions numbered below the one kept here prove
        /// nothing: they handed this copy back (or sent it round a loop) after those went out,
        /// and were acked as duplicates on the strength of this custody, so they let go of it.
        var bouncedBy: [NodeID: UInt64] = [:]
        /// Its expiry is in `homelessExpiry` (it waited for a subject's home once).
        var expiryWatched = false
    }

    /// The ways on a route offers: its next hop and alternative (nil: no route).
    struct RouteOptions: Sendable, Equatable {
        var nextHop: NodeID?
        var alternative: NodeID?

        init(_ route: Route?) {
            nextHop = route?.nextHop
            alternative = route?.alternative
        }
    }

    struct Memory: Sendable {
        var here = false
        var handedTo = HandedTo()
    }

    /// The peers a message was handed to, each with the targets it was handed to them for (as
    /// a 64-bit Bloom mask of their ids: a collision only makes a fan-out copy look like a loop
    /// copy, which is what every copy looked like before). Almost always one peer, kept inline:
    /// an array here was an allocation (and a free at eviction) for every message handed on.
    struct HandedTo: Sendable {
        private var first: NodeID?
        private var firstTargets: UInt64 = 0
        private var more: [(node: NodeID, targets: UInt64)] = []

        var isEmpty: Bool { first == nil }

        mutating func insert(_ node: NodeID, for targets: [NodeID]) {
            let mask = Self.mask(targets)
            guard let first else {
                self.first = node
                firstTargets = mask
                return
            }
            if first == node { return firstTargets |= mask }
            if let i = more.firstIndex(where: { $0.node == node }) { more[i].targets |= mask } else { more.append((node, mask)) }
        }

        /// The peers it was handed to for any of `targets`.
        func peers(forAny targets: [NodeID]) -> Set<NodeID> {
            guard let first else { return [] }
            let mask = Self.mask(targets)
            var out: Set<NodeID> = firstTargets & mask != 0 ? [first] : []
            for m in more where m.targets & mask != 0 { out.insert(m.node) }
            return out
        }

        var set: Set<NodeID> { Set([first].compactMap { $0 } + more.map(\.node)) }

        /// One bit per target, from a hash that is the same in every process (the simulator's
        /// runs must replay exactly).
        static func mask(_ targets: [NodeID]) -> UInt64 {
            var mask: UInt64 = 0
            for t in targets {
                var h = StableHash()
                h.combine(t.rawValue)
                mask |= 1 << (h.value % 64)
            }
            return mask
        }
    }

    struct TargetState: Sendable {
        var transmission: UInt64?
        var notBefore: MeshInstant
        var attempts = 0
    }

    struct Flight: Sendable {
        var id: MessageID
        var hop: NodeID
        var targets: [NodeID]
        var sentAt: MeshInstant
        var retransmission: Bool
        /// The `Held.sequence` of the copy it was sent for: an ack for an earlier copy (released,
        /// then back here around a loop) must not touch the current one.
        var copy: UInt64
    }

    struct Deadline: Comparable, Sendable {
        var at: MeshInstant
        var sequence: UInt64
        var id: MessageID
        static func < (a: Deadline, b: Deadline) -> Bool { a.at != b.at ? a.at < b.at : a.sequence < b.sequence }
    }

    /// Per-next-hop retransmission timeout from measured ack delays (RFC 6298's estimator).
    struct AckTimer: Sendable {
        var smoothed: Double
        var variance: Double
        mutating func sample(_ ms: Double) {
            variance = 0.75 * variance + 0.25 * abs(smoothed - ms)
            smoothed = 0.875 * smoothed + 0.125 * ms
        }
    }

    /// Unacked transmissions `hop` may have now.
    func window(_ hop: NodeID) -> Int {
        Int(windows[hop] ?? Double(min(settings.initialWindow, settings.maxInFlightPerHop)))
    }

    /// Fresh acks from `hop`: its window grows by one per eight acks (about 12 % per round
    /// trip), up to `maxInFlightPerHop`.
    mutating func widenWindow(_ hop: NodeID, acks: Int) {
        windows[hop] = min(Double(settings.maxInFlightPerHop), (windows[hop] ?? Double(window(hop))) + 0.125 * Double(acks))
    }

    /// A transmission to `hop` timed out while `hop` still acks others: it is queueing longer
    /// than its timeout, so its window is halved (once per timeout period, not per message of
    /// a burst), as TCP does on loss. Without this a busy receiver was sent a third of its
    /// traffic twice (docs/benchmarks.md).
    mutating func narrowWindow(_ hop: NodeID, now: MeshInstant) {
        if let last = windowCut[hop], now - last < ackTimeout(hop) { return }
        windowCut[hop] = now
        windows[hop] = max(Double(settings.minWindow), Double(window(hop)) / 2)
    }

    /// How long to wait for `hop`'s ack before sending again.
    func ackTimeout(_ hop: NodeID) -> Duration {
        min(baseAckTimeout(hop).scaled(by: ackBackoff[hop] ?? 1), settings.maxAckTimeout)
    }

    func baseAckTimeout(_ hop: NodeID) -> Duration {
        let ms: Double
        if let t = ackTimers[hop] {
            ms = t.smoothed + 4 * t.variance
        } else {
            // No ack seen yet: a generous multiple of the link's RTT (the receiver's disk is in the loop).
            ms = 4 * (ownLinks[hop]?.rttMilliseconds ?? settings.unmeasuredRTTMilliseconds) + 200
        }
        let clamped = min(max(ms, settings.minAckTimeout.secondsDouble * 1000), settings.maxAckTimeout.secondsDouble * 1000)
        return .nanoseconds(Int64(clamped * 1e6))
    }

    /// How long a next hop may stay silent (no ack at all) with messages outstanding before it
    /// is failed over to the alternative: twice its usual ack timeout, at least `minFailSilence`.
    func failAfter(_ hop: NodeID) -> Duration {
        max(settings.minFailSilence, baseAckTimeout(hop) * 2)
    }
}
