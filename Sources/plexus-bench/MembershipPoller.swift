/// Asks every watched node for its own membership view, each node on its own task at a fixed
/// cadence, until a condition holds on that node: the one observation method used for both
/// systems. A node that cannot answer yet (still starting) counts as "not yet".
///
/// Each mark is the instant the first poll that showed the condition *returned*, so a figure is
/// an upper bound, late by at most one interval plus one query's latency (well under 1 ms on
/// loopback for both systems' queries).
struct MembershipPoller: Sendable {
    let cluster: any MeshCluster
    let interval: Duration

    struct Marks: Sendable {
        /// First poll where `noticed` held (the earlier of the two when `done` implies it).
        var noticed: ContinuousClock.Instant?
        var done: ContinuousClock.Instant
    }

    typealias Condition = @Sendable (_ node: String, _ view: MembershipView) -> Bool

    /// Returns each node's marks once every node's `done` has held; fails naming the nodes that
    /// did not get there (and what they last saw) within `timeout`.
    func watch(
        _ nodes: [String], timeout: Duration, noticed: Condition? = nil, done: @escaping Condition
    ) async throws -> [String: Marks] {
        let deadline = ContinuousClock.now + timeout
        let interval = self.interval
        let cluster = self.cluster
        return try await withThrowingTaskGroup(of: (String, Marks).self) { group in
            for node in nodes {
                group.addTask {
                    var seen: ContinuousClock.Instant?
                    var last = "no answer"
                    var next = ContinuousClock.now
                    while ContinuousClock.now < deadline {
                        do {
                            let view = try await cluster.view(of: node)
                            let at = ContinuousClock.now
                            if seen == nil, noticed?(node, view) == true { seen = at }
                            if done(node, view) { return (node, Marks(noticed: seen ?? at, done: at)) }
                            last = view.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: " ")
                        } catch {
                            last = "\(error)"
                        }
                        next += interval
                        let now = ContinuousClock.now
                        // A poll that overran the cadence starts the next one at once, without catching up.
                        if next < now { next = now }
                        try await Task.sleep(until: next)
                    }
                    throw BenchError("\(cluster.system) node \(node) did not reach the condition within \(timeout); last view: \(last)")
                }
            }
            var marks: [String: Marks] = [:]
            for try await (node, mark) in group { marks[node] = mark }
            return marks
        }
    }

    /// Waits until every live node sees every other live node alive.
    func converge(timeout: Duration) async throws {
        let nodes = cluster.liveNodes
        _ = try await watch(nodes, timeout: timeout) { node, view in
            nodes.allSatisfy { $0 == node || view[$0] == .alive }
        }
    }
}
