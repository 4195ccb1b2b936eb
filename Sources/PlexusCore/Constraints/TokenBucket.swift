/// A token bucket under an explicit clock: `capacity` tokens, refilled at `ratePerSecond`.
/// Time is an input, so the simulator and the tests drive it with a virtual clock.
public struct TokenBucket: Sendable, Hashable {
    public let capacity: Double
    public let ratePerSecond: Double
    public private(set) var tokens: Double
    public private(set) var updated: Timestamp

    public init(capacity: Double, ratePerSecond: Double, now: Timestamp) {
        self.capacity = capacity
        self.ratePerSecond = ratePerSecond
        self.tokens = capacity
        self.updated = now
    }

    mutating func refill(_ now: Timestamp) {
        guard now > updated else { return }  // a clock stepping back never refills twice
        let seconds = Double(now.microseconds - updated.microseconds) / 1_000_000
        tokens = min(capacity, tokens + seconds * ratePerSecond)
        updated = now
    }

    /// Takes one token, or says how long until one is there.
    public mutating func take(now: Timestamp) -> Duration? {
        refill(now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        // Clamped: a rule's minimum rate keeps this under a day, and a value that is not finite
        // must never reach the integer conversion (it would trap).
        let seconds = min((1 - tokens) / ratePerSecond, 86_400)
        guard seconds.isFinite else { return .seconds(86_400) }
        return .microseconds(Int64((seconds * 1_000_000).rounded(.up)))
    }

    /// Puts `count` tokens back (a message refused after it paid), never above capacity.
    public mutating func giveBack(_ count: Double) {
        tokens = min(capacity, tokens + count)
    }

    /// Full at `now`: indistinguishable from a fresh bucket, so it can be forgotten.
    public func isFull(at now: Timestamp) -> Bool {
        var copy = self
        copy.refill(now)
        return copy.tokens >= capacity
    }
}

