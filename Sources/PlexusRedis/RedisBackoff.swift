/// Delays between reconnect attempts: exponential from `minimum` to `maximum`, with jitter.
///
/// Pure: randomness comes in as an argument, so a seeded generator replays the same schedule.
/// Each delay is drawn uniformly from the upper half of the exponential step ("equal jitter"):
/// step `n` is `minimum * 2^n` capped at `maximum`, the delay lies in `[step/2, step]`, and never
/// below `minimum`. The jitter keeps many nodes that lost the same Redis from reconnecting in
/// lock-step; the lower half is skipped so a dead server is not hammered.
public struct RedisBackoff: Sendable, Equatable {
    public let minimum: Duration
    public let maximum: Duration
    /// Attempts since the last ``reset()``.
    public private(set) var attempt: Int = 0

    public init(minimum: Duration = .milliseconds(50), maximum: Duration = .seconds(5)) {
        precondition(minimum > .zero && maximum >= minimum, "RedisBackoff needs 0 < minimum <= maximum")
        self.minimum = minimum
        self.maximum = maximum
    }

    /// The delay before the next attempt.
    public mutating func next(using rng: inout some RandomNumberGenerator) -> Duration {
        let step = self.step(attempt)
        attempt += 1
        let stepNanos = Self.nanoseconds(step)
        let half = stepNanos / 2
        let jittered = stepNanos - Int64(rng.next(upperBound: UInt64(half) + 1))
        return max(minimum, .nanoseconds(jittered))
    }

    /// The connection is back: the next loss starts again from `minimum`.
    public mutating func reset() { attempt = 0 }

    /// The exponential step for attempt `n` before jitter, capped at `maximum`.
    public func step(_ n: Int) -> Duration {
        let minNanos = Self.nanoseconds(minimum)
        let maxNanos = Self.nanoseconds(maximum)
        var value = minNanos
        var doublings = 0
        // Doubling with a cap instead of a power avoids overflow for large attempt counts.
        while doublings < n && value < maxNanos {
            value = value > maxNanos / 2 ? maxNanos : value * 2
            doublings += 1
        }
        return .nanoseconds(min(value, maxNanos))
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
