import PlexusCore

/// The shape of a mesh: organisations, their clusters, the nodes in each, and which class of
/// link joins two nodes. Read from `topology/*.yaml` (docs/simulations.md); used by the simulator
/// and, in the real-mesh work, by `plexus topology up`.
public struct Topology: Sendable, Equatable {
    public struct Cluster: Sendable, Equatable {
        public var name: String
        /// Node names within the cluster; ids are `organisation/cluster/name`.
        public var nodes: [String]

        public init(name: String, nodes: [String]) {
            self.name = name
            self.nodes = nodes
        }
    }

    public struct Organisation: Sendable, Equatable {
        public var name: String
        public var clusters: [Cluster]
        /// What the other organisations let this one announce (`plexus topology up` writes it
        /// into their trust settings; the simulator does not model trust). `nil`: its own
        /// clusters, subject ids `<name>.*` and backbone ids `<name>-*`.
        public var namespace: Namespace?

        public init(name: String, clusters: [Cluster], namespace: Namespace? = nil) {
            self.name = name
            self.clusters = clusters
            self.namespace = namespace
        }

        /// The namespace others grant this organisation.
        public var grantedNamespace: Namespace {
            namespace ?? Namespace(subjects: ["\(name).*"], backbones: ["\(name)-*"], clusters: clusters.map(\.name))
        }
    }

    /// Which link class joins two nodes, by how far apart they are.
    public struct LinkRules: Sendable, Equatable {
        public var sameCluster: String
        public var sameOrganisation: String
        public var crossOrganisation: String

        public init(sameCluster: String, sameOrganisation: String, crossOrganisation: String) {
            self.sameCluster = sameCluster
            self.sameOrganisation = sameOrganisation
            self.crossOrganisation = crossOrganisation
        }
    }

    public struct Node: Sendable, Equatable {
        public var id: NodeID
        public var organisation: String
        public var cluster: String
    }

    public var name: String
    public var linkClasses: [String: LinkClass]
    public var links: LinkRules
    public var organisations: [Organisation]

    public init(name: String, linkClasses: [String: LinkClass], links: LinkRules, organisations: [Organisation]) {
        self.name = name
        self.linkClasses = linkClasses
        self.links = links
        self.organisations = organisations
    }

    /// Every node, in file order.
    public var nodes: [Node] {
        organisations.flatMap { org in
            org.clusters.flatMap { cluster in
                cluster.nodes.map { Node(id: NodeID("\(org.name)/\(cluster.name)/\($0)"), organisation: org.name, cluster: cluster.name) }
            }
        }
    }

    /// The same organisations and clusters with `count` nodes spread round-robin over the
    /// clusters (for `--nodes N`): the link structure stays, only the size changes.
    public func resized(to count: Int) -> Topology {
        var copy = self
        let slots = organisations.indices.flatMap { o in organisations[o].clusters.indices.map { (o, $0) } }
        guard !slots.isEmpty else { return copy }
        for (o, c) in slots { copy.organisations[o].clusters[c].nodes = [] }
        for i in 0..<count {
            let (o, c) = slots[i % slots.count]
            copy.organisations[o].clusters[c].nodes.append(Self.generatedName(i / slots.count))
        }
        return copy
    }

    /// The default node name for the `i`-th (0-based) generated node of a cluster.
    public static func generatedName(_ i: Int) -> String {
        let s = String(i + 1)
        return "n" + String(repeating: "0", count: max(0, 3 - s.count)) + s
    }

    /// Names problems a loader cannot see key by key: unknown link classes, duplicate ids.
    public func validate() -> String? {
        for (rule, cls) in [("links.same_cluster", links.sameCluster), ("links.same_organisation", links.sameOrganisation),
                            ("links.cross_organisation", links.crossOrganisation)] where linkClasses[cls] == nil {
            return "\(rule): unknown link class '\(cls)' (defined: \(linkClasses.keys.sorted().joined(separator: ", ")))"
        }
        var seen = Set<NodeID>()
        for node in nodes where !seen.insert(node.id).inserted {
            return "duplicate node id '\(node.id)'"
        }
        if nodes.isEmpty { return "the topology has no nodes" }
        return nil
    }
}

/// Latency and loss of one class of link. Latency is one way: `latency ± jitter`, uniform.
public struct LinkClass: Sendable, Equatable {
    public var latency: Duration
    public var jitter: Duration
    public var loss: Double

    public init(latency: Duration, jitter: Duration = .zero, loss: Double = 0) {
        self.latency = latency
        self.jitter = jitter
        self.loss = loss
    }

    public static let lan = LinkClass(latency: .milliseconds(1), jitter: .microseconds(500))
}
