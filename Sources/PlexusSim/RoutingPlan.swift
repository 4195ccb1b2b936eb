import PlexusCore

/// A scenario's `routing` block resolved against its nodes for one seed: neighbours, the home of
/// every subject, each node's interest, and the origins of each traffic event. Random choices
/// (subject homes, `{count: N}` selections) come from their own generator, so they do not shift
/// the network's draws.
struct RoutingPlan {
    let routing: Scenario.Routing
    let neighbors: NeighborPlan
    /// Home node of each subject.
    let home: [String: Int]
    /// Subjects homed on each node, in placement order.
    let subjectsAt: [[String]]
    /// Topic patterns each node announces as interest, sorted.
    let interestAt: [[String]]
    let interestPatterns: [[TopicPattern]]
    /// Origin candidates of each traffic event (by its index among the scenario's events).
    var origins: [Int: [Int]] = [:]

    init(routing: Scenario.Routing, scenario: Scenario, nodes: [Topology.Node], seed: UInt64) {
        self.routing = routing
        neighbors = NeighborPlan(shape: routing.shape, shortcuts: routing.shortcuts, nodes: nodes)
        var rng = SplitMix64(seed: seed ^ 0x706C_6163_6500)
        let index = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.id, $0) })
        var home: [String: Int] = [:]
        var subjectsAt = [[String]](repeating: [], count: nodes.count)
        for placement in routing.subjects {
            switch placement {
            case .at(let id, let node):
                guard let i = index[node] else { continue }
                home[id] = i
                subjectsAt[i].append(id)
            case .random(let count, let prefix):
                var pool = Array(nodes.indices)
                pool.shuffleInPlace(using: &rng)
                for k in 0..<count {
                    let i = pool[k % max(pool.count, 1)]
                    let id = Scenario.SubjectPlacement.generatedID(prefix, k)
                    home[id] = i
                    subjectsAt[i].append(id)
                }
            }
        }
        self.home = home
        self.subjectsAt = subjectsAt
        var interest = [[String]](repeating: [], count: nodes.count)
        for placement in routing.interest {
            for i in Self.resolve(placement.nodes, nodes: nodes, rng: &rng) {
                interest[i] = Array(Set(interest[i] + placement.patterns)).sorted()
            }
        }
        interestAt = interest
        interestPatterns = interest.map { $0.compactMap { try? TopicPattern($0) } }
        for (e, timed) in scenario.events.enumerated() {
            guard case .traffic(let traffic) = timed.event else { continue }
            origins[e] = traffic.from.map { Self.resolve($0, nodes: nodes, rng: &rng) } ?? Array(nodes.indices)
        }
    }

    /// A selection resolved once, against every node (running or not): `{count: N}` draws N
    /// distinct nodes.
    static func resolve(_ selection: Scenario.Selection, nodes: [Topology.Node], rng: inout SplitMix64) -> [Int] {
        switch selection {
        case .nodes(let ids):
            let wanted = Set(ids)
            return nodes.indices.filter { wanted.contains(nodes[$0].id) }
        case .organisation(let o):
            return nodes.indices.filter { nodes[$0].organisation == o }
        case .cluster(let o, let c):
            return nodes.indices.filter { nodes[$0].organisation == o && nodes[$0].cluster == c }
        case .random(let count):
            var pool = Array(nodes.indices)
            pool.shuffleInPlace(using: &rng)
            return Array(pool.prefix(count)).sorted()
        }
    }

    /// Nodes whose announced interest matches `topic`, in index order (the ground truth).
    func interested(in topic: String) -> [Int] {
        interestPatterns.indices.filter { i in interestPatterns[i].contains { $0.matches(topic) } }
    }

    /// The node record's `neighbors` field for node `i`, or nil for the full mesh.
    func neighborsField(_ i: Int, ids: [NodeID]) -> JSONValue? {
        guard neighbors.configured else { return nil }
        return .array(neighbors.lists[i].map { ids[$0] }.sorted().map { .string($0.rawValue) })
    }
}
