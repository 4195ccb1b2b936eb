import PlexusCore

/// The simulated network: per-link latency and loss from the topology's link classes, plus the
/// faults a scenario injects (global loss, one-way loss, partitions, cut links). All randomness
/// comes from the caller's seeded generator.
struct SimNetwork {
    struct OneWay {
        var from: Set<Int>
        var to: Set<Int>
        var rate: Double
        var active = true
    }

    private let classes: [LinkClass]   // [sameCluster, sameOrganisation, crossOrganisation]
    private let organisation: [Int]
    private let cluster: [Int]
    var globalLoss: Double?
    /// Partition group of each node while a partition is in force.
    var partition: [Int]?
    /// One-way loss rules by the index the scenario plan gave them (nil until they start).
    var oneWay: [OneWay?] = []
    /// Links cut in both directions (flapping), by node pair, with how many cuts hold each.
    var cuts: [UInt64: Int] = [:]

    init(topology: Topology, nodes: [Topology.Node]) {
        classes = [topology.links.sameCluster, topology.links.sameOrganisation, topology.links.crossOrganisation]
            .map { topology.linkClasses[$0] ?? .lan }
        var orgIndex: [String: Int] = [:]
        var clusterIndex: [String: Int] = [:]
        organisation = nodes.map { n in
            if let i = orgIndex[n.organisation] { return i }
            orgIndex[n.organisation] = orgIndex.count
            return orgIndex.count - 1
        }
        cluster = nodes.map { n in
            let key = n.organisation + "/" + n.cluster
            if let i = clusterIndex[key] { return i }
            clusterIndex[key] = clusterIndex.count
            return clusterIndex.count - 1
        }
    }

    func linkClass(_ a: Int, _ b: Int) -> LinkClass {
        if cluster[a] == cluster[b] { return classes[0] }
        if organisation[a] == organisation[b] { return classes[1] }
        return classes[2]
    }

    func partitioned(_ a: Int, _ b: Int) -> Bool {
        guard let partition else { return false }
        return partition[a] != partition[b]
    }

    static func pair(_ a: Int, _ b: Int) -> UInt64 { UInt64(min(a, b)) << 32 | UInt64(max(a, b)) }

    func isCut(_ a: Int, _ b: Int) -> Bool {
        !cuts.isEmpty && cuts[Self.pair(a, b)] != nil
    }

    mutating func cut(_ a: Int, _ b: Int) {
        cuts[Self.pair(a, b), default: 0] += 1
    }

    mutating func restore(_ a: Int, _ b: Int) {
        let key = Self.pair(a, b)
        guard let held = cuts[key] else { return }
        cuts[key] = held > 1 ? held - 1 : nil
    }

    /// One-way latency in nanoseconds for a message from `a` to `b`, or nil if it is lost.
    func transit(_ a: Int, _ b: Int, rng: inout some RandomNumberGenerator) -> Int64? {
        if partitioned(a, b) || isCut(a, b) { return nil }
        let link = linkClass(a, b)
        var loss = globalLoss ?? link.loss
        for case let rule? in oneWay where rule.active && rule.from.contains(a) && rule.to.contains(b) {
            loss = 1 - (1 - loss) * (1 - rule.rate)
        }
        if loss > 0, rng.nextUnit() < loss { return nil }
        let jitter = link.jitter.nanoseconds
        let offset = jitter > 0 ? Int64(rng.nextUnit() * Double(2 * jitter)) - jitter : 0
        return max(1_000, link.latency.nanoseconds + offset)
    }

    /// Latency only (for link-reset notices, which TCP delivers reliably when not partitioned).
    func latency(_ a: Int, _ b: Int) -> Int64 { max(1_000, linkClass(a, b).latency.nanoseconds) }
}
