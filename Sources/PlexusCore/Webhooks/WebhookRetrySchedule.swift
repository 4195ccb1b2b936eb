/// When to try a failed webhook delivery again: exponential backoff with full jitter.
///
/// The ceiling doubles per failed attempt (`base · 2^(n−1)`, capped at `maxDelay`) and the actual
/// delay is drawn uniformly from `0...ceiling`. Jitter matters here because failures come in
/// crowds: when a receiver goes down, every delivery to it fails at once, and without jitter they
/// would all return at the same instants and knock it over again when it comes back.
///
/// The generator is passed in, so a seeded one gives the same schedule on every run.
public struct WebhookRetrySchedule: Sendable, Hashable {
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Attempts in total, the first one included.
    public var maxAttempts: Int
    /// Give up on a delivery this long after it was created, even with attempts left.
    public var maxAge: Duration?

    public init(baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(600), maxAttempts: Int = 12, maxAge: Duration? = .seconds(3 * 86_400)) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
        self.maxAge = maxAge
    }

    /// Checked once at start; `key` is where the schedule sits in the configuration.
    public func validate(key: String = "webhooks.retry") throws(PlexusError) {
        guard baseDelay > .zero else { throw PlexusError(.invalidField, "\(key).base_delay must be positive") }
        guard maxDelay >= baseDelay else { throw PlexusError(.invalidField, "\(key).max_delay must be at least base_delay") }
        guard maxAttempts >= 1 else { throw PlexusError(.invalidField, "\(key).max_attempts must be at least 1") }
        if let maxAge, maxAge <= .zero { throw PlexusError(.invalidField, "\(key).max_age must be positive") }
    }

    /// The most the delay after `failedAttempts` failures can be.
    public func ceiling(afterFailedAttempts failedAttempts: Int) -> Duration {
        let base = Self.microseconds(baseDelay)
        let cap = Self.microseconds(maxDelay)
        let doublings = max(0, failedAttempts - 1)
        // base << doublings overflows long before 63 doublings matter; past the cap it is the cap.
        guard doublings < 62, base <= cap >> Int64(doublings) else { return .microseconds(cap) }
        return .microseconds(base << Int64(doublings))
    }

    /// A delay drawn uniformly from `0...ceiling` (full jitter).
    public func delay(afterFailedAttempts failedAttempts: Int, using rng: inout some RandomNumberGenerator) -> Duration {
        let ceiling = UInt64(Self.microseconds(ceiling(afterFailedAttempts: failedAttempts)))
        // Multiply-high maps the 64 random bits onto 0...ceiling without the bias of `%`, and
        // unlike `random(in:using:)` its result is fixed by the generator alone, whatever the
        // standard library's version.
        let drawn = rng.next().multipliedFullWidth(by: ceiling &+ 1).high
        return .microseconds(Int64(drawn))
    }

    /// When to try next after attempt number `failedAttempts` failed at `now`, or nil when there
    /// is none: the attempts are used up, or the next one would fall past `maxAge`.
    public func nextAttempt(
        afterFailedAttempts failedAttempts: Int, createdAt: Timestamp, now: Timestamp,
        using rng: inout some RandomNumberGenerator
    ) -> Timestamp? {
        guard failedAttempts < maxAttempts else { return nil }
        let at = now.adding(microseconds: Self.microseconds(delay(afterFailedAttempts: failedAttempts, using: &rng)))
        if let maxAge, at > createdAt.adding(microseconds: Self.microseconds(maxAge)) { return nil }
        return at
    }

    static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return whole + attoseconds / 1_000_000_000_000
    }
}
