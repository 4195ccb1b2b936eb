/// Wall time for a measured interval. Benchmarks use the monotonic `ContinuousClock` so a clock
/// adjustment during a run cannot distort a figure.
struct Stopwatch: Sendable {
    let start: ContinuousClock.Instant

    init() { start = ContinuousClock.now }

    var elapsed: Duration { ContinuousClock.now - start }
    var seconds: Double { elapsed.seconds }
}
