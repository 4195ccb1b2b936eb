/// One token a message must take: from the bucket of `limit` for the message's `key` value.
public struct RateCharge: Sendable, Hashable {
    public var limit: String
    public var key: String
    public var ratePerSecond: Double
    public var burst: Double

    public init(limit: String, key: String, ratePerSecond: Double, burst: Double) {
        self.limit = limit
        self.key = key
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }
}

/// Why the limiter refused a set of charges.
public struct RateRefusal: Sendable, Hashable {
    public var limit: String
    public var key: String
    /// How long until the bucket has the tokens; nil when it never can (more than its burst).
    public var retryAfter: Duration?
}
