import PlexusCore

/// A simulation run: a topology, seeds, how the mesh comes up, faults and traffic over time, and
/// the assertions that must hold. Read from `simulations/*.yaml` (docs/simulations.md).
public struct Scenario: Sendable, Equatable {
    public var name: String
    public var description: String
    public var topology: Topology
    public var seeds: [UInt64]
    public var duration: Duration
    public var settings: MeshSettings
    public var start: Start
    public var events: [TimedEvent]
    /// Bandwidth and steady-state figures are measured from this time to the end.
    public var measureFrom: Duration
    public var assertions: [Assertion]
    /// The data plane: when set, every node also runs the routing core, and the scenario can
    /// place subjects and interest and send traffic (docs/simulations.md, "Routing scenarios").
    public var routing: Routing?

    public init(name: String, description: String = "", topology: Topology, seeds: [UInt64] = [1], duration: Duration,
                settings: MeshSettings = .lan, start: Start = Start(), events: [TimedEvent] = [],
                measureFrom: Duration = .zero, assertions: [Assertion] = [], routing: Routing? = nil) {
        self.name = name
        self.description = description
        self.topology = topology
        self.seeds = seeds
        self.duration = duration
        self.settings = settings
        self.start = start
        self.events = events
        self.measureFrom = measureFrom
        self.assertions = assertions
        self.routing = routing
    }

    /// How the mesh comes up before the events: `initial` nodes (all when nil) start `stagger`
    /// apart, each seeded with the first `seedNodes` nodes.
    public struct Start: Sendable, Equatable {
        public var initial: Int?
        public var stagger: Duration
        public var seedNodes: Int

        public init(initial: Int? = nil, stagger: Duration = .milliseconds(20), seedNodes: Int = 3) {
            self.initial = initial
            self.stagger = stagger
            self.seedNodes = seedNodes
        }
    }

    public struct TimedEvent: Sendable, Equatable {
        public var at: Duration
        public var event: Event

        public init(at: Duration, event: Event) {
            self.at = at
            self.event = event
        }
    }

    /// Which nodes an event touches: named ones, or `count` chosen by the run's random source
    /// among the running nodes (never a seed node, so the mesh can always be re-joined).
    public enum Selection: Sendable, Equatable {
        case nodes([NodeID])
        case random(Int)
        case organisation(String)
        case cluster(organisation: String, cluster: String)
    }

    public enum Event: Sendable, Equatable {
        /// Start nodes that have not started yet, `rate` per second (nil: all at once).
        case join(count: Int, rate: Double?)
        /// Process crash: the node stops at once and answers nothing. With `resetLinks`, peers
        /// that hold a connection to it see it close (a killed process on a live host).
        case crash(Selection, resetLinks: Bool)
        /// Start a crashed node again, with fresh state.
        case restart(Selection)
        /// Stop processing for a while (a GC pause, a frozen VM); messages queue meanwhile.
        case pause(Selection, for: Duration)
        /// Cut every link between the groups until healed (or for `for`).
        case partition(groups: [Selection], for: Duration?)
        case heal
        /// Loss on every link (replacing the link classes' own), until set again.
        case loss(Double)
        /// Loss on messages from `from` to `to` only.
        case oneWayLoss(from: Selection, to: Selection, rate: Double, for: Duration?)
        /// Each selected node's clock runs `drift` fast (0.001 = 1 ms/s) from `offset`.
        case clockSkew(Selection, drift: Double, offset: Duration)
        /// Registry writes on random running nodes: `count` subject entries, `rate` per second.
        case updates(count: Int, rate: Double)
        /// Graceful leave of the selected nodes.
        case leave(Selection)
        /// Messages originated on running nodes (needs `routing`).
        case traffic(Traffic)
        /// One link cut and restored periodically, both directions, mesh and data alike.
        case flap(Flap)
    }

    /// One line of the assertions block: `metric op value`.
    public struct Assertion: Sendable, Equatable, CustomStringConvertible {
        public enum Op: String, Sendable, Equatable, CaseIterable { case le = "<=", lt = "<", ge = ">=", gt = ">", eq = "==" }
        public var metric: String
        public var op: Op
        public var value: Double

        public init(metric: String, op: Op, value: Double) {
            self.metric = metric
            self.op = op
            self.value = value
        }

        public func holds(_ actual: Double) -> Bool {
            switch op {
            case .le: actual <= value
            case .lt: actual < value
            case .ge: actual >= value
            case .gt: actual > value
            case .eq: actual == value
            }
        }

        public var description: String { "\(metric) \(op.rawValue) \(value)" }
    }
}
