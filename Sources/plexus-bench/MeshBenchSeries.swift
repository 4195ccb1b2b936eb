import Foundation

/// Every membership figure of one system at one cluster size: `repeats` fresh clusters, each
/// started, converged, measured idle (first cluster only), joined by one node, then losing one.
///
/// A fresh cluster per repeat makes every repeat measure the same transition (N → N+1 for the
/// join, N+1 → N survivors for the failure) rather than a cluster that drifts in size.
struct MeshBenchSeries: Sendable {
    var system: String
    var size: Int
    var joins: [MeshBenchTrials.Join] = []
    var failures: [MeshBenchTrials.Failure] = []
    var idle: MeshBenchTrials.Idle?
    /// CPU of the benchmark process itself (the poller) per repeat, in cores, over the join and
    /// failure trials: the observer's share of the 2 cores, which the measured nodes do not get.
    var pollerCores: [Double] = []
    var errors: [String] = []
    /// Why the series did not run at all (Serf not installed, --skip-serf).
    var skipped: String?

    struct Options: Sendable {
        var repeats = 3
        /// 50 ms, not less: polling 21 Plexus nodes' /v1/mesh every 25 ms took ~0.5 of the 2 cores
        /// and slowed the join being measured (N = 20: all agree 695 ms at 25 ms, 262 ms at 50 ms,
        /// 226 ms at 200 ms); Serf's figures did not move.
        var pollInterval: Duration = .milliseconds(50)
        var idleSettle: Duration = .seconds(10)
        var idleWindow: Duration = .seconds(30)
        var wireMethod: WireByteCounter.Method?
        /// Quiet time between the join and the kill, so the failure is not measured while the
        /// join's gossip is still in flight.
        var settleBeforeKill: Duration = .seconds(2)
    }

    static func skipped(_ system: String, size: Int, reason: String) -> MeshBenchSeries {
        var series = MeshBenchSeries(system: system, size: size)
        series.skipped = reason
        return series
    }

    static func run(
        system: String, size: Int, options: Options,
        makeCluster: @Sendable () throws -> any MeshCluster,
        progress: @escaping @Sendable (String) -> Void
    ) async -> MeshBenchSeries {
        var series = MeshBenchSeries(system: system, size: size)
        for repeatIndex in 1...options.repeats {
            let label = "\(system) N=\(size) repeat \(repeatIndex)/\(options.repeats)"
            let cluster: any MeshCluster
            do {
                cluster = try makeCluster()
            } catch {
                series.errors.append("\(label): \(error)")
                continue
            }
            let trials = MeshBenchTrials(cluster: cluster, pollInterval: options.pollInterval)
            do {
                let watch = Stopwatch()
                try await trials.start(size: size)
                progress("\(label): \(size) nodes up and agreeing after \(BenchFigure.format(watch.seconds)) s")
                if repeatIndex == 1 {
                    let idle = try await trials.idle(settle: options.idleSettle, window: options.idleWindow, method: options.wireMethod)
                    series.idle = idle
                    progress("  idle: \(BenchFigure.format(idle.bytesPerNodeSecond)) B/s per node (\(idle.method.rawValue))")
                }
                var cpu = CPUUsage.now().selfSeconds
                var wall = Stopwatch()
                let join = try await trials.join(MeshBenchTrials.name(size + 1))
                var pollCPU = CPUUsage.now().selfSeconds - cpu
                var pollWall = wall.seconds
                series.joins.append(join)
                progress("  join: ready \(ms(join.ready)) ms, first sees \(ms(join.firstSeen)) ms, all agree \(ms(join.allSeen)) ms")
                try await trials.poller.converge(timeout: .seconds(60))
                try await Task.sleep(for: options.settleBeforeKill)
                cpu = CPUUsage.now().selfSeconds
                wall = Stopwatch()
                let failure = try await trials.fail(MeshBenchTrials.name(2))
                pollCPU += CPUUsage.now().selfSeconds - cpu
                pollWall += wall.seconds
                series.pollerCores.append(pollCPU / pollWall)
                series.failures.append(failure)
                progress("  kill -9 n2: first notices \(s(failure.firstNoticed)) s, first dead \(s(failure.firstDead)) s, all dead \(s(failure.allDead)) s")
            } catch {
                series.errors.append("\(label): \(error)")
                progress("  FAILED: \(error)")
            }
            await cluster.shutdown()
        }
        return series
    }

    private static func ms(_ d: Duration) -> String { BenchFigure.format(d.milliseconds) }
    private static func s(_ d: Duration) -> String { String(format: "%.2f", d.seconds) }
}
