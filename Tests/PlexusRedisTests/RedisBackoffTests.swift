import PlexusCore
import Testing
@testable import PlexusRedis

@Suite struct RedisBackoffTests {
    @Test func firstDelayIsTheMinimum() {
        var backoff = RedisBackoff(minimum: .milliseconds(50), maximum: .seconds(5))
        var rng = SplitMix64(seed: 1)
        // Step 0 is 50 ms; its jitter range [25, 50] is clamped up to the minimum.
        #expect(backoff.next(using: &rng) == .milliseconds(50))
        #expect(backoff.attempt == 1)
    }

    @Test func stepsDoubleUpToTheMaximum() {
        let backoff = RedisBackoff(minimum: .milliseconds(50), maximum: .seconds(5))
        #expect(backoff.step(0) == .milliseconds(50))
        #expect(backoff.step(1) == .milliseconds(100))
        #expect(backoff.step(3) == .milliseconds(400))
        #expect(backoff.step(6) == .milliseconds(3200))
        #expect(backoff.step(7) == .seconds(5))
        #expect(backoff.step(1_000_000) == .seconds(5))
    }

    @Test func everyDelayIsWithinTheUpperHalfOfItsStepAndTheBounds() {
        var backoff = RedisBackoff(minimum: .milliseconds(50), maximum: .seconds(5))
        var rng = SplitMix64(seed: 42)
        for attempt in 0..<40 {
            let step = backoff.step(attempt)
            let delay = backoff.next(using: &rng)
            #expect(delay <= step, "attempt \(attempt)")
            #expect(delay >= step / 2, "attempt \(attempt)")
            #expect(delay >= .milliseconds(50) && delay <= .seconds(5), "attempt \(attempt)")
        }
    }

    @Test func theSameSeedReplaysTheSameSchedule() {
        func schedule(seed: UInt64) -> [Duration] {
            var backoff = RedisBackoff()
            var rng = SplitMix64(seed: seed)
            return (0..<12).map { _ in backoff.next(using: &rng) }
        }
        #expect(schedule(seed: 7) == schedule(seed: 7))
        #expect(schedule(seed: 7) != schedule(seed: 8))
    }

    @Test func jitterSpreadsDelaysAtTheCap() {
        var backoff = RedisBackoff(minimum: .milliseconds(50), maximum: .seconds(5))
        var rng = SplitMix64(seed: 3)
        for _ in 0..<10 { _ = backoff.next(using: &rng) }
        let capped = (0..<20).map { _ in backoff.next(using: &rng) }
        #expect(Set(capped).count > 10)
        #expect(capped.allSatisfy { $0 >= .milliseconds(2500) && $0 <= .seconds(5) })
    }

    @Test func resetStartsOverFromTheMinimum() {
        var backoff = RedisBackoff(minimum: .milliseconds(50), maximum: .seconds(5))
        var rng = SplitMix64(seed: 9)
        for _ in 0..<8 { _ = backoff.next(using: &rng) }
        backoff.reset()
        #expect(backoff.attempt == 0)
        #expect(backoff.next(using: &rng) == .milliseconds(50))
    }

    @Test func minimumEqualToMaximumIsAFixedDelay() {
        var backoff = RedisBackoff(minimum: .seconds(1), maximum: .seconds(1))
        var rng = SplitMix64(seed: 5)
        #expect((0..<5).map { _ in backoff.next(using: &rng) } == Array(repeating: .seconds(1), count: 5))
    }
}
