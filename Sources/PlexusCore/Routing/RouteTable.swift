import HeapModule

/// One destination's entry in a node's route table.
public struct Route: Sendable, Equatable {
    public var destination: NodeID
    /// The neighbour to hand a message to, and the path's cost in milliseconds.
    public var nextHop: NodeID
    public var cost: Double
    /// Nodes on the path after this one, the destination last.
    public var hops: Int
    /// The best path that starts through a different neighbour: where pending messages move
    /// at once when `nextHop` fails, before the mesh has even agreed it failed.
    public var alternative: NodeID?
    public var alternativeCost: Double?
}

/// Health-weighted shortest paths from one node to every reachable node, each with a ready
/// alternative next hop.
///
/// One pass of Dijkstra's algorithm that keeps up to two labels per node with different first
/// hops (a label-setting k-shortest variant): the best label gives the route, the second the
/// alternative. O(E log V) like plain Dijkstra, with ties broken by node id so every node that
/// sees the same graph computes the same table.
public struct RouteTable: Sendable, Equatable {
    public let me: NodeID
    public private(set) var routes: [NodeID: Route] = [:]
    /// The graph version this table was computed from.
    public private(set) var graphVersion: UInt64 = 0

    public init(me: NodeID) { self.me = me }

    public subscript(destination: NodeID) -> Route? { routes[destination] }

    public var sortedRoutes: [Route] { routes.values.sorted { $0.destination < $1.destination } }

    /// Recomputes every route. Every edge is costed from the figures its ends published, never
    /// from this node's fresher live ones: nodes that see the same registry compute the same
    /// costs, so their tables agree and a message never loops between two views of one link.
    /// (A next hop that stops acking is left at once anyway, by the silence rule in `RoutingCore`.)
    public static func compute(_ graph: RoutingGraph, settings: RoutingSettings) -> RouteTable {
        var table = RouteTable(me: graph.me)
        table.graphVersion = graph.version
        let nodes = graph.up.sorted()
        let index = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1, $0) })
        guard let source = index[graph.me] else { return table }
        // Each node's neighbour patterns once: exact ids in a set, globs as bytes. Candidate
        // pairs come from exact lists where a node has one, so a mesh of 200 nodes with a
        // few neighbours each costs O(E), not 200² glob matches.
        struct Allow { var any: Bool; var exact: Set<String>; var globs: [[UInt8]] }
        let allow: [Allow] = nodes.map { n in
            guard let list = graph.nodes[n]?.neighbors else { return Allow(any: true, exact: [], globs: []) }
            var a = Allow(any: false, exact: [], globs: [])
            for p in list { if p.contains("*") { a.globs.append(Array(p.utf8)) } else { a.exact.insert(p) } }
            return a
        }
        func permits(_ i: Int, _ j: Int) -> Bool {
            let a = allow[i]
            if a.any || a.exact.contains(nodes[j].rawValue) { return true }
            guard !a.globs.isEmpty else { return false }
            let s = Array(nodes[j].rawValue.utf8)
            return a.globs.contains { Glob.matches(pattern: $0, s) }
        }
        // Adjacency in id order, with each edge's cost into its head (load of the head).
        var adjacency: [[(to: Int, cost: Double)]] = Array(repeating: [], count: nodes.count)
        for i in nodes.indices {
            let candidates: [Int] = allow[i].any || !allow[i].globs.isEmpty
                ? Array((i + 1)..<nodes.count)
                : allow[i].exact.compactMap { index[NodeID($0)] }.filter { $0 > i }.sorted()
            for j in candidates where permits(i, j) && permits(j, i) {
                let a = nodes[i], b = nodes[j]
                guard let base = edgeCost(a, b, graph: graph, settings: settings) else { continue }
                adjacency[i].append((j, base + load(b, graph, settings)))
                adjacency[j].append((i, base + load(a, graph, settings)))
            }
        }
        for i in adjacency.indices { adjacency[i].sort { $0.to < $1.to } }
        struct Label: Comparable {
            var cost: Double
            var node: Int
            var first: Int
            var hops: Int
            // Field by field, not as a tuple: a generic tuple comparison looks up tuple type
            // metadata at run time on every call, which dominated a 200-node recompute.
            static func < (a: Label, b: Label) -> Bool {
                if a.cost != b.cost { return a.cost < b.cost }
                if a.node != b.node { return a.node < b.node }
                return a.first < b.first
            }
        }
        var settled: [[Label]] = Array(repeating: [], count: nodes.count)
        var heap = Heap<Label>()
        for edge in adjacency[source] {
            heap.insert(Label(cost: edge.cost, node: edge.to, first: edge.to, hops: 1))
        }
        while let label = heap.popMin() {
            let here = settled[label.node]
            guard here.count < 2, !here.contains(where: { $0.first == label.first }) else { continue }
            settled[label.node].append(label)
            for edge in adjacency[label.node] where edge.to != source {
                let there = settled[edge.to]
                guard there.count < 2, !there.contains(where: { $0.first == label.first }) else { continue }
                heap.insert(Label(cost: label.cost + edge.cost, node: edge.to, first: label.first, hops: label.hops + 1))
            }
        }
        for (i, labels) in settled.enumerated() where i != source {
            guard let best = labels.first else { continue }
            let alt = labels.count > 1 ? labels[1] : nil
            table.routes[nodes[i]] = Route(destination: nodes[i], nextHop: nodes[best.first], cost: best.cost, hops: best.hops,
                                           alternative: alt.map { nodes[$0.first] }, alternativeCost: alt?.cost)
        }
        return table
    }

    /// Cost of the link a–b in milliseconds, or nil when it is too lossy to use. Either end's
    /// published measurement will do (the worse of the two when both exist).
    static func edgeCost(_ a: NodeID, _ b: NodeID, graph: RoutingGraph, settings: RoutingSettings) -> Double? {
        func measured(_ from: NodeID, _ to: NodeID) -> LinkStat? { graph.nodes[from]?.links[to] }
        let stats = [measured(a, b), measured(b, a)].compactMap { $0 }
        let rtt = stats.map(\.rttMilliseconds).max() ?? settings.unmeasuredRTTMilliseconds
        let loss = stats.map(\.loss).max() ?? 0
        guard loss <= settings.maxUsableLoss else { return nil }
        let declared = max(graph.declaredCost(a, toward: b), graph.declaredCost(b, toward: a))
        return rtt / ((1 - loss) * (1 - loss)) + settings.hopPenaltyMilliseconds + declared
    }

    static func load(_ node: NodeID, _ graph: RoutingGraph, _ settings: RoutingSettings) -> Double {
        node == graph.me ? 0 : (graph.nodes[node]?.load ?? 0) * settings.loadPenaltyMilliseconds
    }
}
