import Foundation

/// Alive and suspect members in an array for O(1) uniform random choice and O(1) removal.
struct ActiveSet: Sendable {
    private(set) var ids: [NodeID] = []
    private var index: [NodeID: Int] = [:]

    var count: Int { ids.count }

    func contains(_ id: NodeID) -> Bool { index[id] != nil }

    mutating func insert(_ id: NodeID) {
        guard index[id] == nil else { return }
        index[id] = ids.count
        ids.append(id)
    }

    mutating func remove(_ id: NodeID) {
        guard let i = index.removeValue(forKey: id) else { return }
        let last = ids.removeLast()
        if i < ids.count {
            ids[i] = last
            index[last] = i
        }
    }

    /// Up to `k` distinct members chosen uniformly, skipping `excluding`.
    func sample(_ k: Int, excluding: Set<NodeID> = [], using rng: inout some RandomNumberGenerator) -> [NodeID] {
        guard k > 0, !ids.isEmpty else { return [] }
        var picked: [NodeID] = []
        var seen = Set<Int>()
        var attempts = 0
        // Rejection sampling: k is tiny (3) next to the member count, so this ends fast; the
        // attempt bound keeps it finite when most members are excluded.
        while picked.count < k, attempts < 4 * k + 16, seen.count < ids.count {
            attempts += 1
            let i = rng.nextInt(below: ids.count)
            guard seen.insert(i).inserted, !excluding.contains(ids[i]) else { continue }
            picked.append(ids[i])
        }
        if picked.count < k, seen.count < ids.count {
            for (i, id) in ids.enumerated() where picked.count < k && !seen.contains(i) && !excluding.contains(id) {
                picked.append(id)
            }
        }
        return picked
    }
}

/// The probe in flight (one per protocol period, as in SWIM).
struct ProbeState: Sendable {
    var seq: UInt32
    var target: NodeID
    var sentAt: MeshInstant
    var acked = false
    var directTimedOut = false
    var expectedNacks = 0
    var nacks = 0
    var outOfBand = false
}

/// A ping this node sends on another's behalf (SWIM's indirect probe).
struct Relay: Sendable {
    var origin: NodeID
    var originSeq: UInt32
}

/// Lifeguard's dynamic suspicion: the timeout shrinks from `maximum` to `minimum` as independent
/// confirmations arrive (log-scaled, as in the Lifeguard paper and memberlist).
struct Suspicion: Sendable {
    var start: MeshInstant
    var incarnation: UInt64
    var minimum: Duration
    var maximum: Duration
    var expectedConfirmations: Int
    var confirmers: Set<NodeID>
    var token: UInt64

    /// Time from `start` at which the member is declared dead, given the confirmations so far.
    var timeout: Duration {
        let n = confirmers.count - 1  // the first suspicion is not a confirmation
        guard expectedConfirmations > 0, n > 0 else { return expectedConfirmations == 0 ? minimum : maximum }
        let fraction = log(Double(n) + 1) / log(Double(expectedConfirmations) + 1)
        let raw = maximum - (maximum - minimum).scaled(by: min(fraction, 1))
        return max(raw, minimum)
    }

    var deadline: MeshInstant { start + timeout }
}

/// Anti-entropy state an initiator keeps between its digest and the peer's buckets.
struct SyncSession: Sendable {
    var peer: Peer
    var bucketCount: Int
    var startedAt: MeshInstant
}

/// Direct-probe measurements of one peer: smoothed RTT and loss.
public struct LinkStat: Sendable, Equatable {
    public var rttMilliseconds: Double
    public var loss: Double
    public var samples = 0

    public init(rttMilliseconds: Double, loss: Double) {
        self.rttMilliseconds = rttMilliseconds
        self.loss = loss
    }

    static let weight = 0.2

    mutating func record(rtt: Double?) {
        // A plain mean over the first samples, then an exponential average: early figures are
        // not dominated by whichever sample happened to come first.
        let w = max(1 / Double(samples + 1), Self.weight)
        if let rtt { rttMilliseconds = rttMilliseconds == 0 ? rtt : rttMilliseconds + (rtt - rttMilliseconds) * w }
        loss += ((rtt == nil ? 1 : 0) - loss) * w
        samples += 1
    }

    /// Moved enough since `published` to be worth a new registry version: RTT by more than
    /// `relative` in either direction (1.0 = doubled or halved) and by more than `floor` ms, or
    /// loss by more than `lossChange`.
    func differs(from published: LinkStat, relative: Double, floor: Double, lossChange: Double) -> Bool {
        let a = max(published.rttMilliseconds, 0.01), b = max(rttMilliseconds, 0.01)
        return (max(a, b) / min(a, b) - 1 > relative && abs(b - a) > floor) || abs(loss - published.loss) > lossChange
    }
}

public struct NodeHealth: Sendable, Equatable {
    public var load: Double
    public var queueDepth: Int
}
