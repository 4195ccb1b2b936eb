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
        let seconds = (1 - tokens) / ratePerSecond
        return .microseconds(Int64((seconds * 1_000_000).rounded(.up)))
    }

    /// Full at `now`: indistinguishable from a fresh bucket, so it can be forgotten.
    public func isFull(at now: Timestamp) -> Bool {
        var copy = self
        copy.refill(now)
        return copy.tokens >= capacity
    }
}

/// One token a message must take: from the bucket of `limit` for the message's `key` value.
public struct RateCharge: Sendable, Hashable {
    public var limit: String
    public var key: String
    public var ratePerSecond: Double
    public var burst: Double
}

/// The token buckets of every rate limit and key, bounded in number: buckets that refilled to
/// full are forgotten first (they carry no state), then the least recently used.
public struct RateLimiter: Sendable {
    struct BucketID: Hashable {
        var limit: String
        var key: String
    }

    private var buckets: [BucketID: TokenBucket] = [:]
    public let maxBuckets: Int

    public init(maxBuckets: Int = 100_000) {
        self.maxBuckets = maxBuckets
    }

    public var bucketCount: Int { buckets.count }

    /// Takes a token for every charge, or none: returns nil when all were taken, else the
    /// limit that refused and how long until it has a token. Earlier charges of a refused
    /// message are given back, so a refused message costs nothing.
    public mutating func take(_ charges: [RateCharge], now: Timestamp) -> (limit: String, key: String, retryAfter: Duration)? {
        var taken: [(BucketID, TokenBucket)] = []
        for charge in charges {
            let id = BucketID(limit: charge.limit, key: charge.key)
            var bucket = buckets[id] ?? TokenBucket(capacity: charge.burst, ratePerSecond: charge.ratePerSecond, now: now)
            if bucket.capacity != charge.burst || bucket.ratePerSecond != charge.ratePerSecond {
                // The limit was changed: start the key over under the new numbers.
                bucket = TokenBucket(capacity: charge.burst, ratePerSecond: charge.ratePerSecond, now: now)
            }
            let before = bucket
            if let wait = bucket.take(now: now) {
                for (takenID, previous) in taken { buckets[takenID] = previous }
                return (charge.limit, charge.key, wait)
            }
            taken.append((id, buckets[id] ?? before))
            store(id, bucket, now: now)
        }
        return nil
    }

    private mutating func store(_ id: BucketID, _ bucket: TokenBucket, now: Timestamp) {
        if buckets[id] == nil, buckets.count >= maxBuckets {
            buckets = buckets.filter { !$0.value.isFull(at: now) }
            if buckets.count >= maxBuckets, let oldest = buckets.min(by: { ($0.value.updated, $0.key.limit, $0.key.key) < ($1.value.updated, $1.key.limit, $1.key.key) }) {
                buckets[oldest.key] = nil
            }
        }
        buckets[id] = bucket
    }
}
