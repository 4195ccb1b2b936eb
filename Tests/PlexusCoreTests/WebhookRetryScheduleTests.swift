import PlexusCore
import Testing

struct WebhookRetryScheduleTests {
    let schedule = WebhookRetrySchedule(baseDelay: .seconds(1), maxDelay: .seconds(600), maxAttempts: 12, maxAge: nil)
    let t0 = Timestamp(microseconds: 1_700_000_000_000_000)

    @Test func delaysAreDeterministicPerSeed() {
        func delays(seed: UInt64) -> [Duration] {
            var rng = SplitMix64(seed: seed)
            return (1...11).map { schedule.delay(afterFailedAttempts: $0, using: &rng) }
        }
        #expect(delays(seed: 42) == delays(seed: 42))
        #expect(delays(seed: 42) != delays(seed: 43))
    }

    @Test func delaysStayUnderTheDoublingCeilingAndTheCap() {
        #expect(schedule.ceiling(afterFailedAttempts: 1) == .seconds(1))
        #expect(schedule.ceiling(afterFailedAttempts: 2) == .seconds(2))
        #expect(schedule.ceiling(afterFailedAttempts: 5) == .seconds(16))
        #expect(schedule.ceiling(afterFailedAttempts: 10) == .seconds(512))
        #expect(schedule.ceiling(afterFailedAttempts: 11) == .seconds(600))
        #expect(schedule.ceiling(afterFailedAttempts: 500) == .seconds(600))
        var rng = SplitMix64(seed: 9)
        var total = Duration.zero
        for failed in 1...200 {
            let delay = schedule.delay(afterFailedAttempts: failed % 20 + 1, using: &rng)
            #expect(delay >= .zero)
            #expect(delay <= schedule.ceiling(afterFailedAttempts: failed % 20 + 1))
            total += delay
        }
        // Full jitter: the draws spread out rather than all sitting at the ceiling.
        #expect(total < .seconds(200 * 600))
    }

    @Test func stopsAfterMaxAttempts() {
        var rng = SplitMix64(seed: 1)
        var state = WebhookDeliveryState(createdAt: t0)
        var now = t0
        var sends = 0
        while case .send = state.beginAttempt(now: now) {
            sends += 1
            let action = state.attemptFinished(.response(statusCode: 503), now: now, schedule: schedule, using: &rng)
            guard case .scheduleRetry(let at) = action else {
                #expect(action == .markFailed(reason: "gave up after 12 attempts; the last: HTTP 503"))
                break
            }
            #expect(at >= now)
            #expect(state.beginAttempt(now: now.adding(microseconds: -1)) == .none)
            now = at
        }
        #expect(sends == 12)
        #expect(state.isFinished)
        #expect(state.attemptsMade == 12)
        #expect(state.beginAttempt(now: now.adding(microseconds: 3_600_000_000)) == .none)
    }

    @Test func stopsAtMaxAge() {
        let aging = WebhookRetrySchedule(baseDelay: .seconds(60), maxDelay: .seconds(60), maxAttempts: 1000, maxAge: .seconds(300))
        var rng = SplitMix64(seed: 5)
        var state = WebhookDeliveryState(createdAt: t0)
        var now = t0
        var attempts = 0
        while case .send = state.beginAttempt(now: now) {
            attempts += 1
            if case .scheduleRetry(let at) = state.attemptFinished(.timedOut, now: now, schedule: aging, using: &rng) {
                #expect(at <= t0.adding(microseconds: 300_000_000))
                now = at
            }
        }
        guard case .failed(let reason) = state.phase else {
            Issue.record("expected failed, got \(state.phase)")
            return
        }
        #expect(reason.contains("maximum age"))
        #expect(attempts < 1000)
    }

    @Test func outcomesMapToTheDeliveryPhases() {
        var rng = SplitMix64(seed: 3)
        func run(_ outcome: WebhookAttemptOutcome) -> (WebhookDeliveryAction, WebhookDeliveryState.Phase) {
            var state = WebhookDeliveryState(createdAt: t0)
            #expect(state.beginAttempt(now: t0) == .send(attempt: 1))
            let action = state.attemptFinished(outcome, now: t0, schedule: schedule, using: &rng)
            return (action, state.phase)
        }
        let ok = run(.response(statusCode: 200))
        #expect(ok.0 == .markSucceeded)
        #expect(ok.1 == .succeeded)
        #expect(run(.response(statusCode: 204)).0 == .markSucceeded)
        let gone = run(.response(statusCode: 410))
        #expect(gone.0 == .disableEndpoint)
        #expect(gone.1 == .endpointGone)
        let redirect = run(.response(statusCode: 302))
        #expect(redirect.1 == .failed(reason: "HTTP 302: redirects are not followed; configure the final URL"))
        let refused = run(.refused("127.0.0.1 is a loopback address"))
        #expect(refused.0 == .markFailed(reason: "127.0.0.1 is a loopback address"))
        for transient in [WebhookAttemptOutcome.response(statusCode: 500), .response(statusCode: 404), .response(statusCode: 429), .timedOut, .connectionFailed("connection refused")] {
            guard case .scheduleRetry = run(transient).0 else {
                Issue.record("\(transient) was not retried")
                continue
            }
        }
    }

    @Test func restoredAndDisabledDeliveries() {
        var inFlight = WebhookDeliveryState(restoring: .attempting(number: 3, startedAt: t0), attemptsMade: 2, createdAt: t0)
        #expect(inFlight.beginAttempt(now: t0) == .send(attempt: 3))
        inFlight.attemptAbandoned(now: t0)
        #expect(inFlight.phase == .pending(due: t0))
        #expect(inFlight.endpointDisabled() == .markGone)
        #expect(inFlight.phase == .endpointGone)
        #expect(inFlight.endpointDisabled() == .none)
        var later = WebhookDeliveryState(restoring: .pending(due: t0.adding(microseconds: 10)), attemptsMade: 1, createdAt: t0)
        #expect(later.beginAttempt(now: t0) == .none)
        #expect(later.beginAttempt(now: t0.adding(microseconds: 10)) == .send(attempt: 2))
    }

    @Test func validation() {
        #expect(throws: PlexusError.self) { try WebhookRetrySchedule(baseDelay: .zero).validate() }
        #expect(throws: PlexusError.self) { try WebhookRetrySchedule(baseDelay: .seconds(5), maxDelay: .seconds(1)).validate() }
        #expect(throws: PlexusError.self) { try WebhookRetrySchedule(maxAttempts: 0).validate() }
        #expect(throws: Never.self) { try WebhookRetrySchedule().validate() }
    }
}
