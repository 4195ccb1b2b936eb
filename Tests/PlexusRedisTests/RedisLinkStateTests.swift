import PlexusCore
import Testing
@testable import PlexusRedis

@Suite struct RedisLinkStateTests {
    let t0 = ContinuousClock.now
    let endpoint = "127.0.0.1:6379"

    func makeState() -> RedisLinkState {
        RedisLinkState(endpoint: endpoint, backoff: RedisBackoff(minimum: .milliseconds(50), maximum: .seconds(5)), now: t0)
    }

    func refused() -> RedisError {
        RedisError(.connectFailed, endpoint: endpoint, detail: "connect failed: Connection refused")
    }

    @Test func aNewLinkConnectsAtOnce() {
        let state = makeState()
        #expect(state.onIdle(now: t0) == .connect)
        #expect(state.onCommand(now: t0) == .connectFirst)
        #expect(state.status == RedisConnectionStatus(state: .connecting))
    }

    @Test func aFailedConnectWaitsForTheBackoffAndCommandsFailFast() {
        var state = makeState()
        var rng = SplitMix64(seed: 1)
        state.connectFailed(refused(), now: t0, rng: &rng)
        #expect(state.phase == .down(retryAt: t0 + .milliseconds(50)))
        #expect(state.onIdle(now: t0) == .waitUntil(t0 + .milliseconds(50)))
        guard case .fail(let error) = state.onCommand(now: t0 + .milliseconds(10)) else {
            Issue.record("expected a fast failure")
            return
        }
        #expect(error.code == .connectionLost)
        #expect(error.message.contains(endpoint))
        #expect(error.message.contains("Connection refused"))
        #expect(state.onCommand(now: t0 + .milliseconds(50)) == .connectFirst)
        #expect(state.onIdle(now: t0 + .milliseconds(60)) == .connect)
        #expect(state.status.consecutiveFailures == 1)
        #expect(state.status.lastError == refused())
    }

    @Test func repeatedFailuresBackOffFurther() {
        var state = makeState()
        var rng = SplitMix64(seed: 2)
        var now = t0
        var waits: [Duration] = []
        for _ in 0..<6 {
            state.connectFailed(refused(), now: now, rng: &rng)
            guard case .down(let retryAt) = state.phase else {
                Issue.record("expected down")
                return
            }
            waits.append(retryAt - now)
            now = retryAt
        }
        #expect(waits.first == .milliseconds(50))
        #expect(waits.last! >= .milliseconds(800))
        #expect(state.status.consecutiveFailures == 6)
    }

    @Test func aLostConnectionRetriesAtOnceAndCountsTheReconnect() {
        var state = makeState()
        var rng = SplitMix64(seed: 3)
        state.connectSucceeded()
        #expect(state.onCommand(now: t0) == .send)
        #expect(state.onIdle(now: t0) == .waitForWork)
        #expect(state.status == RedisConnectionStatus(state: .connected))

        let lost = RedisError(.connectionLost, endpoint: endpoint, detail: "Server closed the connection")
        state.connectionLost(lost, now: t0 + .seconds(1))
        #expect(state.status.state == .reconnecting)
        #expect(state.onIdle(now: t0 + .seconds(1)) == .connect)

        state.connectFailed(refused(), now: t0 + .seconds(1), rng: &rng)
        state.connectFailed(refused(), now: t0 + .seconds(2), rng: &rng)
        #expect(state.backoff.attempt == 2)
        state.connectSucceeded()
        #expect(state.status == RedisConnectionStatus(state: .connected, lastError: refused(), reconnectCount: 1))
        #expect(state.backoff.attempt == 0)
    }

    @Test func missingHiredisIsPermanent() {
        var state = makeState()
        var rng = SplitMix64(seed: 4)
        state.connectFailed(.hiredisMissing(endpoint: endpoint), now: t0, rng: &rng)
        #expect(state.status.state == .unavailable)
        #expect(state.onIdle(now: t0 + .seconds(60)) == .waitForWork)
        #expect(state.onCommand(now: t0 + .seconds(60)) == .fail(.hiredisMissing(endpoint: endpoint)))
    }

    @Test func aClosedLinkRefusesEverything() {
        var state = makeState()
        var rng = SplitMix64(seed: 5)
        state.connectSucceeded()
        state.close()
        state.connectSucceeded()
        state.connectFailed(refused(), now: t0, rng: &rng)
        #expect(state.status.state == .closed)
        #expect(state.onIdle(now: t0) == .waitForWork)
        guard case .fail(let error) = state.onCommand(now: t0) else {
            Issue.record("expected failure")
            return
        }
        #expect(error.code == .connectionLost)
        #expect(error.message.contains("closed"))
    }

    @Test func connectFailuresSeenByACommandAreRetryableUnlessTheyNeedAPerson() {
        let state = makeState()
        #expect(state.commandError(afterConnectFailure: refused()).code == .connectionLost)
        let timeout = RedisError(.timeout, endpoint: endpoint, detail: "connect failed: Connection timed out")
        #expect(state.commandError(afterConnectFailure: timeout).code == .connectionLost)
        let auth = RedisError(.authFailed, endpoint: endpoint, detail: "AUTH rejected")
        #expect(state.commandError(afterConnectFailure: auth) == auth)
        #expect(state.commandError(afterConnectFailure: .hiredisMissing()).code == .hiredisMissing)
    }
}
