/// One broadcast: SWIM's alive/suspect/dead messages and registry entries, piggybacked on probes
/// and sent in gossip messages.
public enum GossipItem: Sendable, Equatable {
    /// `id` is alive at `incarnation`, reachable at `address`.
    case alive(id: NodeID, incarnation: UInt64, address: String)
    /// `from` suspects `id` at `incarnation`.
    case suspect(id: NodeID, incarnation: UInt64, from: NodeID)
    /// `from` declared `id` dead; `from == id` means `id` left gracefully.
    case dead(id: NodeID, incarnation: UInt64, from: NodeID)
    case entry(RegistryEntry)

    /// Broadcasts with the same topic replace each other in the queue (memberlist's `Invalidates`):
    /// only the newest word about a member or an entry is worth sending.
    enum Topic: Hashable {
        case member(NodeID)
        case entry(RegistryKey)
    }

    var topic: Topic {
        switch self {
        case .alive(let id, _, _), .suspect(let id, _, _), .dead(let id, _, _): .member(id)
        case .entry(let entry): .entry(entry.key)
        }
    }
}

/// Every message the mesh protocol exchanges between two nodes. Sender identity comes from the
/// link (the peer's certificate, or the simulator), so messages do not repeat it.
public enum MeshMessage: Sendable, Equatable {
    /// SWIM probe. `target` is set when a relay pings on someone's behalf (so the target can tell a
    /// misdirected ping after an address change) and `gossip` carries piggybacked broadcasts.
    case ping(seq: UInt32, gossip: [GossipItem])
    case pingReq(seq: UInt32, target: NodeID, address: String, gossip: [GossipItem])
    case ack(seq: UInt32, gossip: [GossipItem])
    /// Lifeguard: a relay's "the target did not answer me either", so the asker can tell its own
    /// slowness from the target's.
    case nack(seq: UInt32)
    case gossip([GossipItem])

    /// Anti-entropy step 1: roots of the membership and registry digests. `join` marks a first
    /// contact (start, seed retry, reconnect to a member believed dead), for the receiver's logs.
    case syncDigest(SyncDigest)
    /// Step 2: the responder's per-bucket hashes for the digests that differed.
    case syncBuckets(SyncBuckets)
    /// Step 3 (both ways): what the sender holds in the buckets that differ.
    case syncSummary(SyncSummary)
    /// Step 4: the records the other side lacks or holds older.
    case syncUpdate(members: [MemberSummary], entries: [RegistryEntry])
}

public struct SyncDigest: Sendable, Equatable {
    public var round: UInt32
    public var bucketCount: UInt16
    public var memberRoot: UInt64
    public var registryRoot: UInt64
    public var join: Bool

    public init(round: UInt32, bucketCount: UInt16, memberRoot: UInt64, registryRoot: UInt64, join: Bool) {
        self.round = round
        self.bucketCount = bucketCount
        self.memberRoot = memberRoot
        self.registryRoot = registryRoot
        self.join = join
    }
}

public struct SyncBuckets: Sendable, Equatable {
    public var round: UInt32
    public var bucketCount: UInt16
    /// Empty when that digest matched.
    public var memberBuckets: [UInt64]
    public var registryBuckets: [UInt64]

    public init(round: UInt32, bucketCount: UInt16, memberBuckets: [UInt64], registryBuckets: [UInt64]) {
        self.round = round
        self.bucketCount = bucketCount
        self.memberBuckets = memberBuckets
        self.registryBuckets = registryBuckets
    }
}

public struct SyncSummary: Sendable, Equatable {
    public var round: UInt32
    public var bucketCount: UInt16
    public var memberBuckets: [UInt16]
    public var registryBuckets: [UInt16]
    public var members: [MemberSummary]
    public var entries: [EntrySummary]
    /// True from the initiator: the responder answers with its own summary of the same buckets.
    public var wantsReply: Bool

    public init(round: UInt32, bucketCount: UInt16, memberBuckets: [UInt16], registryBuckets: [UInt16],
                members: [MemberSummary], entries: [EntrySummary], wantsReply: Bool) {
        self.round = round
        self.bucketCount = bucketCount
        self.memberBuckets = memberBuckets
        self.registryBuckets = registryBuckets
        self.members = members
        self.entries = entries
        self.wantsReply = wantsReply
    }
}
