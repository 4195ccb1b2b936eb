import Foundation

/// The three membership measurements, written once against `any MeshCluster`, so Plexus and
/// Serf are started, observed, killed and counted by the same code.
struct MeshBenchTrials: Sendable {
    let cluster: any MeshCluster
    let poller: MembershipPoller

    init(cluster: any MeshCluster, pollInterval: Duration) {
        self.cluster = cluster
        poller = MembershipPoller(cluster: cluster, interval: pollInterval)
    }

    struct Join: Sendable {
        /// Process start → the new node answers membership queries (HTTP / RPC up).
        var ready: Duration
        /// Process start → the first existing node lists it alive.
        var firstSeen: Duration
        /// Process start → every existing node lists it alive *and* it lists all of them alive.
        var allSeen: Duration
    }

    struct Failure: Sendable {
        /// kill -9 → the first survivor shows the victim suspect or dead (Serf: failed; it does
        /// not show suspicion, so this equals `firstDead` there).
        var firstNoticed: Duration
        var firstDead: Duration
        /// kill -9 → every survivor shows it dead (Serf: failed).
        var allDead: Duration
    }

    struct Idle: Sendable {
        var count: WireByteCounter.Count
        var method: WireByteCounter.Method
        var nodes: Int
        /// Mean CPU of one node over the counted window, in % of one core.
        var cpuPercentPerNode: Double
        /// Mean VmRSS of the nodes at the end of the window.
        var residentMiBPerNode: Double

        var bytesPerNodeSecond: Double { Double(count.bytes) / Double(nodes) / count.seconds }
        var packetsPerNodeSecond: Double { Double(count.packets) / Double(nodes) / count.seconds }
        var tcpShare: Double { count.bytes == 0 ? 0 : Double(count.tcpBytes) / Double(count.bytes) }
    }

    static func name(_ index: Int) -> String { "n\(index)" }

    /// Starts `n1`...`nN` one after another (each waits for the previous to be ready: a stagger
    /// that keeps 20 process starts from fighting over 2 cores), then waits for full agreement.
    func start(size: Int) async throws {
        for index in 1...size {
            _ = try await cluster.launch(Self.name(index))
            _ = try await cluster.waitReady(Self.name(index), timeout: .seconds(60))
        }
        try await poller.converge(timeout: .seconds(120))
    }

    /// Starts one more node seeded with `n1`, timed from its process start.
    func join(_ name: String) async throws -> Join {
        let existing = cluster.liveNodes
        let start = try await cluster.launch(name)
        let cluster = self.cluster
        async let readyAt = cluster.waitReady(name, timeout: .seconds(60))
        let marks = try await poller.watch(existing + [name], timeout: .seconds(60)) { node, view in
            node == name ? existing.allSatisfy { view[$0] == .alive } : view[name] == .alive
        }
        let ready = try await readyAt - start
        let seenBy = existing.compactMap { marks[$0]?.done }
        guard let first = seenBy.min(), let all = marks.values.map(\.done).max() else { throw BenchError("no marks") }
        return Join(ready: ready, firstSeen: first - start, allSeen: all - start)
    }

    /// kill -9 `victim`, timed until every survivor has declared it dead.
    func fail(_ victim: String) async throws -> Failure {
        let survivors = cluster.liveNodes.filter { $0 != victim }
        let start = ContinuousClock.now
        cluster.kill(victim)
        let marks = try await poller.watch(
            survivors, timeout: .seconds(120),
            noticed: { _, view in view[victim] == .suspect || view[victim] == .dead },
            // Absent counts as dead: a system that reaps dead members could drop it between polls.
            done: { _, view in view[victim] == .dead || view[victim] == nil }
        )
        let noticed = marks.values.compactMap(\.noticed).min()
        guard let firstDead = marks.values.map(\.done).min(), let allDead = marks.values.map(\.done).max() else {
            throw BenchError("no marks")
        }
        return Failure(firstNoticed: (noticed ?? firstDead) - start, firstDead: firstDead - start, allDead: allDead - start)
    }

    /// With the cluster converged and no polling: `settle` of quiet, then bytes on the nodes'
    /// membership ports over `window`.
    func idle(settle: Duration, window: Duration, method: WireByteCounter.Method?) async throws -> Idle {
        let nodes = cluster.liveNodes.count
        try await Task.sleep(for: settle)
        let pids = cluster.livePIDs()
        let counter = try await WireByteCounter.start(ports: cluster.wirePorts(), method: method)
        let cpuStart = pids.compactMap(ProcStat.cpuSeconds).reduce(0, +)
        let wall = Stopwatch()
        do {
            try await Task.sleep(for: window)
        } catch {
            _ = try? await counter.stop()  // never leave the nftables table or tcpdump behind
            throw error
        }
        let cpu = pids.compactMap(ProcStat.cpuSeconds).reduce(0, +) - cpuStart
        let seconds = wall.seconds
        let rss = pids.compactMap(ProcStat.residentMiB)
        let count = try await counter.stop()
        return Idle(
            count: count, method: counter.method, nodes: nodes,
            cpuPercentPerNode: 100 * cpu / seconds / Double(max(pids.count, 1)),
            residentMiBPerNode: rss.reduce(0, +) / Double(max(rss.count, 1))
        )
    }
}
