import Testing
@testable import PlexusCore

@Suite struct RateLimiterTests {
    let t0 = Timestamp(milliseconds: 1_000_000)
    func at(_ ms: Int64) -> Timestamp { Timestamp(microseconds: t0.microseconds + ms * 1_000) }

    @Test func bucketAllowsTheBurstThenRefillsWithTheVirtualClock() {
        var bucket = TokenBucket(capacity: 3, ratePerSecond: 2, now: t0)
        #expect(bucket.take(now: t0) == nil)
        #expect(bucket.take(now: t0) == nil)
        #expect(bucket.take(now: t0) == nil)
        #expect(bucket.take(now: t0) == .milliseconds(500))
        #expect(bucket.take(now: at(250)) == .milliseconds(250))
        #expect(bucket.take(now: at(500)) == nil)
        #expect(bucket.take(now: at(500)) != nil)
        #expect(bucket.isFull(at: at(10_000)))
    }

    @Test func aClockSteppingBackDoesNotRefill() {
        var bucket = TokenBucket(capacity: 1, ratePerSecond: 1, now: at(1_000))
        #expect(bucket.take(now: at(1_000)) == nil)
        #expect(bucket.take(now: at(0)) != nil)
        #expect(bucket.take(now: at(1_500)) != nil)
        #expect(bucket.take(now: at(2_000)) == nil)
    }

    func charge(_ limit: String, _ key: String, rate: Double = 1, burst: Double = 1) -> RateCharge {
        RateCharge(limit: limit, key: key, ratePerSecond: rate, burst: burst)
    }

    @Test func keysHaveTheirOwnBuckets() {
        var limiter = RateLimiter()
        #expect(limiter.take([charge("per-sender", "alice")], now: t0) == nil)
        #expect(limiter.take([charge("per-sender", "alice")], now: t0)?.key == "alice")
        #expect(limiter.take([charge("per-sender", "bob")], now: t0) == nil)
        #expect(limiter.take([charge("per-sender", "alice")], now: at(1_000)) == nil)
    }

    @Test func aRefusedMessageGivesBackWhatItTook() {
        var limiter = RateLimiter()
        #expect(limiter.take([charge("b", "x")], now: t0) == nil)  // exhaust b
        let refusal = limiter.take([charge("a", "x"), charge("b", "x")], now: t0)
        #expect(refusal?.limit == "b")
        // a's token was returned: a alone still passes once.
        #expect(limiter.take([charge("a", "x")], now: t0) == nil)
    }

    @Test func bucketCountIsBoundedForgettingFullBucketsFirst() {
        var limiter = RateLimiter(maxBuckets: 10)
        for i in 0..<10 { _ = limiter.take([charge("l", "k\(i)", rate: 1_000)], now: t0) }
        #expect(limiter.bucketCount == 10)
        // 1 s later every bucket refilled: all can be forgotten for the new key.
        _ = limiter.take([charge("l", "new", rate: 1_000)], now: at(1_000))
        #expect(limiter.bucketCount <= 10)
        for i in 0..<50 { _ = limiter.take([charge("l", "m\(i)", rate: 0.001)], now: at(1_000)) }
        #expect(limiter.bucketCount <= 10)
    }

    @Test func aRefusedBatchLeavesABucketChargedSeveralTimesAsItWas() {
        var limiter = RateLimiter()
        let five = Array(repeating: charge("l", "k", rate: 1, burst: 5), count: 5)
        #expect(limiter.take(Array(five.prefix(3)), now: t0) == nil)  // 2 left
        let refusal = limiter.take(Array(five.prefix(3)), now: t0)
        #expect(refusal?.retryAfter != nil)
        #expect(limiter.take(Array(five.prefix(2)), now: t0) == nil)  // still 2 left
    }

    @Test func moreThanTheBurstCanNeverPass() {
        var limiter = RateLimiter()
        let refusal = limiter.take(Array(repeating: charge("l", "k", rate: 1, burst: 2), count: 3), now: t0)
        #expect(refusal?.limit == "l" && refusal?.retryAfter == nil)
    }

    @Test func tokensOfMessagesRefusedLaterAreGivenBack() {
        var limiter = RateLimiter()
        #expect(limiter.take([charge("l", "k")], now: t0) == nil)
        limiter.giveBack([charge("l", "k")])
        #expect(limiter.take([charge("l", "k")], now: t0) == nil)
    }

    @Test func aTinyRateNeverTraps() {
        var bucket = TokenBucket(capacity: 1, ratePerSecond: .leastNonzeroMagnitude, now: t0)
        #expect(bucket.take(now: t0) == nil)
        #expect(bucket.take(now: t0) == .seconds(86_400))
    }

    @Test func changedLimitsStartKeysOver() {
        var limiter = RateLimiter()
        #expect(limiter.take([charge("l", "k")], now: t0) == nil)
        #expect(limiter.take([charge("l", "k")], now: t0) != nil)
        #expect(limiter.take([charge("l", "k", burst: 5)], now: t0) == nil)
    }
}
