/// How long to wait before reconnect attempt `n`: `minimum` doubling per attempt up to
/// `maximum`, with "equal jitter" (a random point in the upper half of the step). Jitter keeps a
/// fleet of nodes that lost the same server from reconnecting in lock step; the lower half is
/// kept so a retry never comes back immediately. Randomness is an argument so tests and the
/// simulator replay exactly.
public struct NATSBackoff: Sendable, Hashable {
    public var minimum: Duration
    public var maximum: Duration

    public init(minimum: Duration = .milliseconds(50), maximum: Duration = .seconds(5)) {
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
    }

    /// The delay before attempt `attempt` (0 for the first retry).
    public func delay(attempt: Int, rng: inout some RandomNumberGenerator) -> Duration {
        let step = ceiling(attempt: attempt)
        let nanoseconds = Self.nanoseconds(step)
        guard nanoseconds > 1 else { return step }
        let half = nanoseconds / 2
        return .nanoseconds(half + Int64.random(in: 0...(nanoseconds - half), using: &rng))
    }

    /// The step without jitter: the upper bound of `delay(attempt:)`.
    public func ceiling(attempt: Int) -> Duration {
        let minimum = Self.nanoseconds(self.minimum)
        let maximum = Self.nanoseconds(self.maximum)
        var step = max(minimum, 1)
        for _ in 0..<max(0, min(attempt, 62)) {
            guard step < maximum else { break }
            step = step > Int64.max / 2 ? Int64.max : step * 2
        }
        return .nanoseconds(min(step, maximum))
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds < Int64.max / 1_000_000_000 else { return Int64.max }
        return max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
