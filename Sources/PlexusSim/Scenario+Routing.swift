import PlexusCore

extension Scenario {
    /// The data plane of a scenario: which nodes may forward to which (the `neighbors` field of
    /// each node's registry record), where subjects live, which nodes have interest in which
    /// topics, and the routing core's settings. Traffic comes from `traffic` events.
    public struct Routing: Sendable, Equatable {
        public var shape: Shape
        /// Extra neighbour pairs on top of the shape (a chain's shortcut, a ring's chord).
        public var shortcuts: [Shortcut]
        public var subjects: [SubjectPlacement]
        public var interest: [InterestPlacement]
        public var settings: RoutingSettings
        /// How long the durable log takes to make an accepted message safe (the fsync) before
        /// the node calls `persisted`, acknowledges upstream and forwards.
        public var fsyncDelay: Duration
        /// Size of each message's payload (the envelope JSON), for byte accounting.
        public var payloadBytes: Int

        public init(shape: Shape = .full, shortcuts: [Shortcut] = [], subjects: [SubjectPlacement] = [],
                    interest: [InterestPlacement] = [], settings: RoutingSettings = RoutingSettings(),
                    fsyncDelay: Duration = .milliseconds(2), payloadBytes: Int = 256) {
            self.shape = shape
            self.shortcuts = shortcuts
            self.subjects = subjects
            self.interest = interest
            self.settings = settings
            self.fsyncDelay = fsyncDelay
            self.payloadBytes = payloadBytes
        }

        /// Every subject id the scenario places, in placement order.
        public var subjectIDs: [String] {
            subjects.flatMap { placement -> [String] in
                switch placement {
                case .at(let id, _): [id]
                case .random(let count, let prefix): (0..<count).map { SubjectPlacement.generatedID(prefix, $0) }
                }
            }
        }
    }

    /// Who forwards to whom, over the topology's nodes in file order.
    public enum Shape: Sendable, Equatable {
        /// No `neighbors` field: every alive member is a neighbour.
        case full
        /// Node i with i ± 1, the last with the first.
        case ring
        /// Node i with i ± 1.
        case chain
        /// Rows of `columns` nodes: each with the node to its right and the one below.
        case grid(columns: Int)
        /// Every cluster fully meshed inside; its first `gateways` nodes are its gateways, and
        /// gateway j of each cluster is a neighbour of gateway j of every other cluster (k
        /// disjoint gateway planes).
        case clusters(gateways: Int)
    }

    public struct Shortcut: Sendable, Equatable {
        public var a: NodeID
        public var b: NodeID

        public init(_ a: NodeID, _ b: NodeID) {
            self.a = a
            self.b = b
        }
    }

    public enum SubjectPlacement: Sendable, Equatable {
        /// One subject homed at one node.
        case at(String, home: NodeID)
        /// `count` subjects `<prefix>-001`… homed on distinct nodes drawn by the run's seed.
        case random(count: Int, prefix: String)

        public static func generatedID(_ prefix: String, _ i: Int) -> String {
            let s = String(i + 1)
            return prefix + "-" + String(repeating: "0", count: max(0, 3 - s.count)) + s
        }
    }

    /// Topic patterns announced as interest by the selected nodes (chosen at the start).
    public struct InterestPlacement: Sendable, Equatable {
        public var patterns: [String]
        public var nodes: Selection

        public init(patterns: [String], nodes: Selection) {
            self.patterns = patterns
            self.nodes = nodes
        }
    }

    /// `count` messages, `rate` per second, each from a random running node of `from` (any
    /// running node when nil): directed to one of the subjects `to`, or on one of `topics` to
    /// every node with matching interest; with both, `topicShare` of them are topic messages.
    public struct Traffic: Sendable, Equatable {
        public var from: Selection?
        public var to: [String]
        public var topics: [String]
        public var topicShare: Double
        public var count: Int
        public var rate: Double

        public init(from: Selection? = nil, to: [String] = [], topics: [String] = [], topicShare: Double? = nil,
                    count: Int, rate: Double) {
            self.from = from
            self.to = to
            self.topics = topics
            self.topicShare = topicShare ?? (to.isEmpty ? 1 : topics.isEmpty ? 0 : 0.5)
            self.count = count
            self.rate = rate
        }

        /// The topic of a directed message: interest patterns must not match it, so a directed
        /// message reaches its subject and nobody else.
        public static func directTopic(_ subject: String) -> String { "direct." + subject }
    }

    /// The link between `a` and `b` goes down for `down` at the start of every `period`, for
    /// `duration` in all. With `resetLinks` both ends see the connection drop at each cut (as
    /// when an interface goes down); without, they find out by missing acks and probes.
    public struct Flap: Sendable, Equatable {
        public var a: NodeID
        public var b: NodeID
        public var period: Duration
        public var down: Duration
        public var duration: Duration
        public var resetLinks: Bool

        public init(a: NodeID, b: NodeID, period: Duration, down: Duration, duration: Duration, resetLinks: Bool = false) {
            self.a = a
            self.b = b
            self.period = period
            self.down = down
            self.duration = duration
            self.resetLinks = resetLinks
        }
    }
}
