import PlexusCore

/// What the simulator measures of the data plane: every message from origination to its last
/// delivery, duplicates, frames per hop, failover after relay crashes, and how long route tables
/// take to agree after a topology change (docs/simulations.md, "Routing metrics").
struct RoutingMetrics {
    struct Recipient {
        var node: Int
        /// The subject for a directed message; nil for a topic recipient (the node itself).
        var subject: String?
        var firstDelivery: Int64?
        var deliveries = 0
    }

    struct Message {
        var origin: Int
        var created: Int64
        /// When the origin made it durable and acknowledged it to its client.
        var acked: Int64?
        var directed: Bool
        var recipients: [Recipient] = []
        var frames = 0
        /// Directed messages: the hop count of the copy that was delivered.
        var hops: Int?
        /// Origin and every recipient stayed running and connected for 2 s after creation.
        var eligible = false
        /// On a path through a relay that crashed, in flight or sent during the failover.
        var failover = false
        /// The crashed relays it failed over around: recipients there are not counted in its
        /// failover latency (they get it after their restart, over no alternative path).
        var failoverAround: [Int] = []

        var fullyDelivered: Bool { recipients.allSatisfy { $0.firstDelivery != nil } }
        /// When the last recipient got it (creation for a message nobody had interest in).
        var lastDelivery: Int64? {
            var last = created
            for r in recipients {
                guard let t = r.firstDelivery else { return nil }
                last = max(last, t)
            }
            return last
        }
    }

    /// A data frame sent and not yet acknowledged, by receiver.
    struct Outstanding: Hashable {
        var sender: Int
        var transmission: UInt64
    }

    /// A message created this long after a relay crash counts for failover if its route at
    /// creation still ran through the crashed node.
    static let failoverWindow: Int64 = 5_000_000_000
    /// The delivery deadline of `delivered_within_2s_ratio`.
    static let deliveryDeadline: Int64 = 2_000_000_000
    /// How often route tables are compared while a topology change is unsettled: every 100 ms
    /// for the first 5 s, then every 500 ms (the figure's resolution past the target).
    static let agreementInterval: Int64 = 100_000_000
    static let agreementFineWindow: Int64 = 5_000_000_000
    static let agreementCoarseInterval: Int64 = 500_000_000

    var messages: [Message] = []
    var retransmissions = 0
    var timeouts = 0
    /// Connected components of the true network (running nodes, neighbour links, partitions and
    /// cut links), recomputed after each change; nil when stale.
    var components: [Int]?
    var notAccepted = 0
    var trafficSkipped = 0
    var deadLetters = 0
    var deadLetterReasons: [String: Int] = [:]
    /// The message whose custody trail goes into the report (`plexus sim --trace-message`).
    var tracing: Int?
    var traceLines: [String] = []
    /// Why the route tables last failed to agree (the first pair found), for the report.
    var lastDisagreement: String?
    var refusedFrames = 0
    var misdeliveries = 0
    var suppressedRedeliveries = 0
    var neighborViolations = 0
    var dataFrames = 0
    var ackFrames = 0
    var directedFrames = 0
    var stranded = 0
    /// Second acceptances of a message already durable at a node whose `persisted` returned
    /// nothing (so neither the owed ack nor the added targets went out).
    var repersistedSilent = 0
    var outstanding: [Int: [Outstanding: (message: Int, sentAt: Int64)]] = [:]
    /// Messages created in the last 2 s that are still eligible, oldest first.
    var eligiblePending: [Int] = []
    /// Relay crashes whose failover window is open: messages routed through them count.
    var failoverWindows: [(node: Int, until: Int64)] = []
    /// The most nodes a delivered copy crossed (the margin below `hopLimit`).
    var hopsMax = 0

    /// Per topology change: how long until the tables agreed, what changed, and when.
    var agreementSamples: [(seconds: Double, change: String, at: Int64, lastDisagreement: String?)] = []
    var agreementPending: [(at: Int64, change: String)] = []
    var agreementCheckArmed = false
    var agreementChecks = 0
    /// Next-hop arrays of each node's route table, by process life and graph version.
    var hopCache: [Int: (life: Int, version: UInt64, next: [Int32])] = [:]

    /// The message a simulated id stands for (its first 8 bytes are the index).
    static func index(of id: MessageID) -> Int {
        let u = id.uuid.uuid
        let bytes = [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7]
        return Int(bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    static func id(index: Int, seed: UInt64) -> MessageID {
        var bytes = [UInt8](repeating: 0, count: 16)
        for k in 0..<8 {
            bytes[k] = UInt8(truncatingIfNeeded: UInt64(index) >> (8 * (7 - k)))
            bytes[8 + k] = UInt8(truncatingIfNeeded: seed >> (8 * k))
        }
        return MessageID(bytes: bytes)
    }

    /// A `.deliver` at node `node`: counts one delivery per recipient homed there.
    mutating func delivered(_ m: Int, at node: Int, hops: Int, now: Int64) {
        var hit = false
        for r in messages[m].recipients.indices where messages[m].recipients[r].node == node {
            hit = true
            messages[m].recipients[r].deliveries += 1
            if messages[m].recipients[r].firstDelivery == nil { messages[m].recipients[r].firstDelivery = now }
        }
        if hit, messages[m].directed, messages[m].hops == nil { messages[m].hops = hops }
        if hit { hopsMax = max(hopsMax, hops) }
        if !hit { misdeliveries += 1 }
    }

    mutating func deadLetter(_ m: Int, at node: Int, reason: String) {
        deadLetters += 1
        deadLetterReasons[reason, default: 0] += 1
    }

    /// Deliveries beyond the first, per subject (topic recipients under `topic:<node>`).
    func duplicates(nodeIDs: [NodeID]) -> [String: Int] {
        var out: [String: Int] = [:]
        for m in messages {
            for r in m.recipients where r.deliveries > 1 {
                out[r.subject ?? "topic:\(nodeIDs[r.node])", default: 0] += r.deliveries - 1
            }
        }
        return out
    }
}
