/// Percentiles of a set of request latencies, by nearest rank. p99 is what the targets
/// are stated in; p50 and max show the shape around it.
struct LatencyStats: Sendable {
    let count: Int
    let p50: Double
    let p99: Double
    let max: Double
    let mean: Double

    /// `samples` in milliseconds; must not be empty.
    init(milliseconds samples: [Double]) {
        precondition(!samples.isEmpty, "no latency samples")
        let sorted = samples.sorted()
        func rank(_ p: Double) -> Double {
            let index = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
        }
        count = sorted.count
        p50 = rank(0.50)
        p99 = rank(0.99)
        max = sorted[sorted.count - 1]
        mean = sorted.reduce(0, +) / Double(sorted.count)
    }

    /// Runs `body` `count` times in sequence (after `warmup` unrecorded runs) and records each
    /// call's wall time. Sequential on purpose: this measures latency, not throughput.
    static func measure(
        count: Int,
        warmup: Int,
        _ body: (Int) async throws -> Void
    ) async throws -> LatencyStats {
        for i in 0..<warmup { try await body(i) }
        var samples: [Double] = []
        samples.reserveCapacity(count)
        for i in 0..<count {
            let watch = Stopwatch()
            try await body(warmup + i)
            samples.append(watch.elapsed.milliseconds)
        }
        return LatencyStats(milliseconds: samples)
    }
}
