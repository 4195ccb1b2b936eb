import PlexusCore

/// The forwarding neighbours a routing shape gives each node, by node index. Nodes announce
/// them as the `neighbors` field of their registry record (exact ids); the simulator uses the
/// same relation to check that data frames only cross neighbour links.
struct NeighborPlan {
    /// False for the full mesh: no node announces `neighbors`, every pair may exchange data.
    let configured: Bool
    /// Sorted neighbour indices of each node (empty for the full mesh).
    let lists: [[Int]]
    private let pairs: Set<UInt64>

    init(shape: Scenario.Shape, shortcuts: [Scenario.Shortcut], nodes: [Topology.Node]) {
        let n = nodes.count
        var edges = Set<UInt64>()
        func link(_ a: Int, _ b: Int) {
            guard a != b, a < n, b < n else { return }
            edges.insert(Self.key(a, b))
        }
        switch shape {
        case .full:
            break
        case .ring, .chain:
            for i in 0..<max(0, n - 1) { link(i, i + 1) }
            if shape == .ring, n > 2 { link(n - 1, 0) }
        case .grid(let columns):
            for i in 0..<n {
                if (i % columns) + 1 < columns { link(i, i + 1) }
                link(i, i + columns)
            }
        case .clusters(let gateways):
            var clusters: [[Int]] = []
            var clusterOf: [String: Int] = [:]
            for (i, node) in nodes.enumerated() {
                let key = node.organisation + "/" + node.cluster
                if let c = clusterOf[key] {
                    clusters[c].append(i)
                } else {
                    clusterOf[key] = clusters.count
                    clusters.append([i])
                }
            }
            for members in clusters {
                for (x, a) in members.enumerated() {
                    for b in members[(x + 1)...] { link(a, b) }
                }
            }
            for plane in 0..<gateways {
                let planeGateways = clusters.compactMap { plane < $0.count ? $0[plane] : nil }
                for (x, a) in planeGateways.enumerated() {
                    for b in planeGateways[(x + 1)...] { link(a, b) }
                }
            }
        }
        let index = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.id, $0) })
        for s in shortcuts {
            if let a = index[s.a], let b = index[s.b] { link(a, b) }
        }
        configured = shape != .full
        var lists = [[Int]](repeating: [], count: n)
        if configured {
            for key in edges.sorted() {
                let (a, b) = (Int(key >> 32), Int(key & 0xFFFF_FFFF))
                lists[a].append(b)
                lists[b].append(a)
            }
            for i in lists.indices { lists[i].sort() }
        }
        self.lists = lists
        pairs = edges
    }

    static func key(_ a: Int, _ b: Int) -> UInt64 { UInt64(min(a, b)) << 32 | UInt64(max(a, b)) }

    /// Whether `a` and `b` may exchange data frames (given both run).
    func allowed(_ a: Int, _ b: Int) -> Bool {
        a != b && (!configured || pairs.contains(Self.key(a, b)))
    }

    /// Neighbours of `a` among `count` nodes: the configured list, or everyone else.
    func neighbors(of a: Int, count: Int) -> [Int] {
        configured ? lists[a] : (0..<count).filter { $0 != a }
    }
}
