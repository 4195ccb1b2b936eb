import Foundation

/// Every knob of the mesh protocol, with defaults. `lan` follows memberlist's LAN profile where
/// it can (probe 1 s, probe timeout 500 ms, 3 indirect probes, gossip every 200 ms to 3 peers,
/// local health multiplier up to 8) and departs from it where Plexus's targets need it; each
/// departure is documented on the field and in docs/mesh-protocol.md.
public struct MeshSettings: Sendable, Equatable {
    /// Time between probes of one member (SWIM's protocol period), before the local health
    /// multiplier scales it.
    public var probeInterval: Duration = .seconds(1)
    /// How long a direct ping waits for an ack before indirect probes are sent.
    public var probeTimeout: Duration = .milliseconds(500)
    /// How many members are asked to ping a target that did not answer directly.
    public var indirectChecks = 3
    /// Forwarding neighbours (the exact ids in this node's `neighbors`, at most this many) are
    /// probed every protocol period besides the round-robin target, so a relay that fails
    /// silently is suspected within about two periods by the nodes whose routes run through it.
    /// The round robin alone reaches a given member after a random wait: in a 16-node grid
    /// nobody probed a silently failed relay for 2.2 s, and routes agreed only 3.6 s after the
    /// failure (simulations/routing-relay-crash.yaml, seed 74). 0 turns it off.
    public var watchedNeighbors = 8
    /// Lifeguard's local health multiplier ceiling: probe interval and timeout are multiplied by
    /// (awareness + 1), awareness in `0..<awarenessMaxMultiplier`.
    public var awarenessMaxMultiplier = 8

    /// Gossip period and fan-out once something is queued.
    public var gossipInterval: Duration = .milliseconds(200)
    public var gossipNodes = 3
    /// Plexus addition: a broadcast heard for the first time is forwarded after this short batching
    /// window instead of waiting for the next gossip period, so news crosses the mesh in a few
    /// network round trips rather than a few gossip periods (memberlist waits up to 200 ms per hop).
    public var eagerGossipDelay: Duration = .milliseconds(10)
    /// Each broadcast is sent `retransmitMult * ceil(log10(n + 1))` times (memberlist's formula).
    /// memberlist uses 4: the chance that a given node hears none of the n·limit random copies is
    /// about e^-limit, so at 8 sends (n = 50) one join in ~60 misses someone until anti-entropy
    /// repairs it. 5 makes that one in ~450, which the join-visibility target needs.
    public var retransmitMult = 5
    /// Floor of that limit: in a small mesh log10 gives 5 sends, which misses a node one time in
    /// 150 per node; 10 makes it one in 20,000 for a few bytes more.
    public var retransmitMinimum = 10
    /// Byte budget for broadcasts piggybacked on a ping or ack, and for one gossip message.
    public var maxPiggybackBytes = 1_200
    public var maxGossipBytes = 16_384

    /// Lifeguard suspicion: the timeout starts at `suspicionMaxMultiplier * minimum` and shrinks
    /// towards the minimum as `suspicionConfirmations` independent suspicions arrive.
    /// The minimum is `suspicionMinimum * max(1, log10(n) / 2)`: 4.5 s up to 100 members, 6.75 s
    /// at 1,000. memberlist's `4 * log10(n) * probeInterval` (8 s at n = 100) cannot meet the
    /// "dead within 7 s" target; 4.5 s still lets a node paused for 5 s refute in time, because the
    /// first suspicion comes at least one probe interval after the pause began.
    public var suspicionMinimum: Duration = .milliseconds(4_500)
    public var suspicionMaxMultiplier = 3.0
    public var suspicionConfirmations = 2

    /// Digest-based anti-entropy with one random member this often, and at once on (re)join.
    public var antiEntropyInterval: Duration = .seconds(5)
    /// Registry updates carried per anti-entropy reply message; more are split over several.
    public var maxEntriesPerSyncMessage = 256

    /// Dead members (and their registry entries) are forgotten after this long.
    public var deadMemberReclaim: Duration = .seconds(3_600)

    /// Node and link health are republished at most this often, and only when they moved by more
    /// than the thresholds, so a steady mesh sends none.
    /// Every version is gossiped to every node (about n × 10 sends of a few hundred bytes), so
    /// health must not chase noise: RTT is republished only when it doubled or halved, loss when
    /// it moved by 25 points (one lost probe moves the average by 20), and only after `linkHealthMinSamples` probes of that peer.
    public var healthPublishInterval: Duration = .seconds(30)
    public var healthRelativeChange = 1.0
    public var healthLossChange = 0.25
    /// An RTT change must also exceed this many milliseconds: on a LAN or loopback a sub-
    /// millisecond RTT doubles and halves all the time (measured: 3.3 KB/s per node of health
    /// churn at N = 20 on loopback without it), while no route cares about such a change.
    public var healthRTTFloorMilliseconds = 5.0
    public var maxLinkHealthPeers = 8
    public var linkHealthMinSamples = 2
    /// Newly measured peers join the published link health at most this often.
    public var linkHealthRefresh: Duration = .seconds(300)

    public init() {}

    /// Defaults for a LAN (the simulator's 1 ± 0.5 ms links, a data-centre network).
    public static let lan = MeshSettings()

    /// Defaults for links across regions (memberlist's WAN profile: probe 5 s, timeout 3 s,
    /// gossip 500 ms to 4; suspicion scaled to match).
    public static var wan: MeshSettings {
        var s = MeshSettings()
        s.probeInterval = .seconds(5)
        s.probeTimeout = .seconds(3)
        s.gossipInterval = .milliseconds(500)
        s.gossipNodes = 4
        s.eagerGossipDelay = .milliseconds(50)
        s.suspicionMinimum = .seconds(30)
        s.suspicionMaxMultiplier = 3
        s.antiEntropyInterval = .seconds(30)
        return s
    }

    /// The minimum suspicion timeout for a mesh of `members` nodes.
    public func suspicionMinimumTimeout(members: Int) -> Duration {
        let scale = max(1.0, log10(Double(max(members, 1))) / 2)
        return suspicionMinimum.scaled(by: scale)
    }

    /// How many times each broadcast is sent in a mesh of `members` nodes.
    public func retransmitLimit(members: Int) -> Int {
        max(retransmitMult * Int(ceil(log10(Double(members + 1)))), retransmitMinimum)
    }
}
