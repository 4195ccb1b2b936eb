/// What one node says about another, in the words both systems share. Serf's `failed` and
/// Plexus's `dead` are the same verdict (SWIM's confirmed failure); Serf does not show its
/// suspicion (memberlist keeps it internal), so `suspect` only ever comes from Plexus.
enum MemberState: String, Sendable, Equatable {
    case alive, suspect, dead, left
}

/// One node's membership list, keyed by the node names the benchmark gave (`n1`, `n2`, ...),
/// never including the node itself.
typealias MembershipView = [String: MemberState]

/// A cluster of real processes of one membership system, driven the same way for Plexus and Serf
/// so that every figure is measured by the same method: start processes, poll each node's own
/// view, kill -9, count bytes on the nodes' ports. `any MeshCluster` is the seam between the
/// trials and the two systems.
protocol MeshCluster: AnyObject, Sendable {
    /// "Plexus" or "Serf", for the report.
    var system: String { get }

    /// Starts node `name` (the first node started is every later node's seed) and returns the
    /// instant just before the process was spawned: a join is timed from there. Does not wait for
    /// the node to be ready.
    func launch(_ name: String) async throws -> ContinuousClock.Instant

    /// Waits until `name` answers membership queries; returns when it first did.
    func waitReady(_ name: String, timeout: Duration) async throws -> ContinuousClock.Instant

    /// `name`'s current membership view. Throws while the node is not ready or has gone.
    func view(of name: String) async throws -> MembershipView

    /// SIGKILL: a crash, not a leave, so only failure detection can notice it.
    func kill(_ name: String)

    /// Names of nodes launched and not killed, in launch order.
    var liveNodes: [String] { get }

    /// The ports the nodes' membership traffic uses (listen/bind ports; peers dial into these),
    /// for the wire byte counter. Excludes HTTP and RPC ports used by the benchmark's own polls.
    func wirePorts() -> [Int]

    /// Process ids of the live nodes, for their CPU time and memory.
    func livePIDs() -> [Int32]

    /// Kills every process the cluster started and removes its files. Idempotent.
    func shutdown() async
}
