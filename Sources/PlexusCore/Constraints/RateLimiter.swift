import OrderedCollections

/// The token buckets of every rate limit and key, bounded in number. Kept in least-recently-used
/// order; at the bound, buckets that refilled to full are dropped (they hold no state), then the
/// least recently used tenth, so eviction is rare and its cost shared by many inserts.
public struct RateLimiter: Sendable {
    struct BucketID: Hashable {
        var limit: String
        var key: String
    }

    private var buckets: OrderedDictionary<BucketID, TokenBucket> = [:]
    public let maxBuckets: Int

    public init(maxBuckets: Int = 100_000) {
        self.maxBuckets = maxBuckets
    }

    public var bucketCount: Int { buckets.count }

    /// Takes a token for every charge (a bucket charged n times gives n tokens), or none: on a
    /// refusal every bucket is left as it was, so a refused message costs nothing.
    public mutating func take(_ charges: [RateCharge], now: Timestamp) -> RateRefusal? {
        var before: [BucketID: TokenBucket?] = [:]
        for charge in charges {
            let id = BucketID(limit: charge.limit, key: charge.key)
            if before[id] == nil { before[id] = .some(buckets[id]) }
            var bucket = buckets[id] ?? TokenBucket(capacity: charge.burst, ratePerSecond: charge.ratePerSecond, now: now)
            if bucket.capacity != charge.burst || bucket.ratePerSecond != charge.ratePerSecond {
                // The limit was changed: start the key over under the new numbers.
                bucket = TokenBucket(capacity: charge.burst, ratePerSecond: charge.ratePerSecond, now: now)
            }
            if let wait = bucket.take(now: now) {
                restore(before)
                let wanted = charges.lazy.filter { $0.limit == charge.limit && $0.key == charge.key }.count
                return RateRefusal(limit: charge.limit, key: charge.key, retryAfter: Double(wanted) > charge.burst ? nil : wait)
            }
            store(id, bucket, now: now)
        }
        return nil
    }

    /// Returns the tokens of charges whose messages were refused later (the log was down).
    public mutating func giveBack(_ charges: [RateCharge]) {
        for charge in charges {
            buckets[BucketID(limit: charge.limit, key: charge.key)]?.giveBack(1)
        }
    }

    private mutating func restore(_ before: [BucketID: TokenBucket?]) {
        for (id, bucket) in before {
            if let bucket { buckets[id] = bucket } else { buckets[id] = nil }
        }
    }

    private mutating func store(_ id: BucketID, _ bucket: TokenBucket, now: Timestamp) {
        if buckets.removeValue(forKey: id) == nil, buckets.count >= maxBuckets {
            buckets = buckets.filter { !$0.value.isFull(at: now) }
            if buckets.count >= maxBuckets { buckets.removeFirst(max(1, maxBuckets / 10)) }
        }
        buckets[id] = bucket  // appended: the most recently used end
    }
}
