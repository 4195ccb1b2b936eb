import Foundation
import Testing
@testable import PlexusCore

/// Lifeguard: local health (awareness), health-scaled timeouts, dynamic suspicion and the buddy system.
@Suite struct MeshLifeguardTests {
    /// Probes the one member and lets it time out, leaving a failed probe to settle at the next tick.
    static func failedProbe(_ d: inout CoreDriver, nacks: Int) throws -> NodeID {
        let tick = d.probeTick()
        let target = try #require(tick.pingTarget)
        let seq = try #require(d.core.probe?.seq)
        d.advance(.milliseconds(500))
        let helpers = d.fire(.probeTimeout(seq: seq)).sends.compactMap { $0.to.id }
        for helper in helpers.prefix(nacks) {
            #expect(d.receive(.nack(seq: seq), from: helper) == [])
        }
        d.advance(.milliseconds(500))
        return target
    }

    @Test func ackLowersAwarenessAndRecordsTheLink() {
        var d = CoreDriver()
        d.learn("b")
        _ = d.receive(.gossip([.suspect(id: "a", incarnation: 0, from: "b")]), from: "b")
        d.drain()
        #expect(d.core.awareness == 1)
        // Awareness 1 doubles the period and the probe timeout.
        #expect(d.probeTick() == [
            .schedule(.probe(token: 2), after: .seconds(2)),
            .send(.ping(seq: 1, gossip: []), to: Peer(id: "b", address: "b")),
            .schedule(.probeTimeout(seq: 1), after: .seconds(1)),
        ])
        d.advance(.milliseconds(2))
        #expect(d.receive(.ack(seq: 1, gossip: []), from: "b") == [])
        #expect(d.core.awareness == 0)
        #expect(d.core.links["b"]?.rttMilliseconds == 2)
        #expect(d.core.links["b"]?.loss == 0)
        // The probe succeeded: the next tick settles it without suspicion.
        d.advance(.seconds(2))
        let next = d.probeTick()
        #expect(next.memberChanges == [])
        #expect(next.first == .schedule(.probe(token: 3), after: .seconds(1)))
        #expect(d.core.member("b")?.status == .alive)
    }

    @Test(arguments: [(0, 3), (1, 2), (2, 1), (3, 0)])
    func failedProbeRaisesAwarenessByMissingNacks(_ nacks: Int, _ expected: Int) throws {
        var d = CoreDriver()
        d.learn("b", "c", "d", "e")
        let target = try Self.failedProbe(&d, nacks: nacks)
        let out = d.probeTick()
        #expect(d.core.awareness == expected)
        #expect(d.core.member(target)?.status == .suspect)
        #expect(out.timers.contains { $0.timer == .probe(token: d.core.probeToken) && $0.after == .seconds(1) * (expected + 1) })
        #expect(out.timers.contains { $0.after == .milliseconds(500) * (expected + 1) && $0.timer == .probeTimeout(seq: 2) })
    }

    @Test func failedProbeWithoutHelpersRaisesAwarenessByOne() throws {
        var d = CoreDriver()
        d.learn("b")
        _ = d.probeTick()
        d.advance(.milliseconds(500))
        #expect(d.fire(.probeTimeout(seq: 1)) == [])
        d.advance(.milliseconds(500))
        _ = d.probeTick()
        #expect(d.core.awareness == 1)
        #expect(d.core.member("b")?.status == .suspect)
    }

    @Test func awarenessIsCappedBelowTheMultiplier() {
        var d = CoreDriver()
        d.learn("b")
        for _ in 0..<20 {
            _ = d.receive(.gossip([.suspect(id: "a", incarnation: d.core.incarnation, from: "b")]), from: "b")
        }
        #expect(d.core.incarnation == 20)
        #expect(d.core.awareness == MeshSettings.pinned.awarenessMaxMultiplier - 1)
    }

    @Test(arguments: [0, 1, 3, 7])
    func timeoutsScaleWithAwareness(_ awareness: Int) {
        var d = CoreDriver()
        d.learn("b")
        d.core.awareness = awareness
        let m = awareness + 1
        #expect(d.probeTick() == [
            .schedule(.probe(token: 2), after: .seconds(1) * m),
            .send(.ping(seq: 1, gossip: []), to: Peer(id: "b", address: "b")),
            .schedule(.probeTimeout(seq: 1), after: .milliseconds(500) * m),
        ])
        #expect(d.receive(.pingReq(seq: 4, target: "c", address: "c", gossip: []), from: "b").timers.map { $0.after } == [
            .milliseconds(400) * m,
        ])
    }

    @Test(arguments: [(1, 13_500.0), (2, 7_821.63), (3, 4_500.0), (4, 4_500.0)])
    func suspicionTimeoutShrinksWithConfirmations(_ confirmers: Int, _ expectedMs: Double) {
        let s = Suspicion(start: .zero, incarnation: 0, minimum: .milliseconds(4_500), maximum: .milliseconds(13_500),
                          expectedConfirmations: 2, confirmers: Set((0..<confirmers).map { NodeID("n\($0)") }), token: 1)
        #expect(abs(s.timeout.secondsDouble * 1_000 - expectedMs) < 0.1)
        #expect(s.timeout >= s.minimum && s.timeout <= s.maximum)
        #expect(s.deadline == MeshInstant.zero + s.timeout)
    }

    @Test func suspicionWithoutExpectedConfirmationsUsesTheMinimum() {
        let s = Suspicion(start: .s(3), incarnation: 0, minimum: .seconds(2), maximum: .seconds(6),
                          expectedConfirmations: 0, confirmers: ["x"], token: 1)
        #expect(s.timeout == .seconds(2))
        #expect(s.deadline == .s(5))
    }

    @Test func confirmationsFromDistinctNodesShortenTheDeadline() {
        var d = CoreDriver()
        d.learn("b", "c", "d", "e")
        let first = d.receive(.gossip([.suspect(id: "b", incarnation: 0, from: "c")]), from: "c")
        #expect(first.contains(.schedule(.suspicion("b", token: 1), after: .milliseconds(13_500))))
        d.drain()
        d.advance(.seconds(1))

        let second = d.receive(.gossip([.suspect(id: "b", incarnation: 0, from: "d")]), from: "d")
        let s = d.core.suspicions["b"]!
        #expect(s.timeout > .milliseconds(4_500) && s.timeout < .milliseconds(13_500))
        #expect(second == [
            .schedule(.suspicion("b", token: 1), after: s.deadline - d.now),
            .schedule(.gossip(token: d.core.gossipToken), after: .milliseconds(10)),
        ])
        d.drain()
        // A duplicate confirmer changes nothing and is not passed on.
        #expect(d.receive(.gossip([.suspect(id: "b", incarnation: 0, from: "d")]), from: "e") == [])
        #expect(d.core.suspicions["b"]!.timeout == s.timeout)

        let third = d.receive(.gossip([.suspect(id: "b", incarnation: 0, from: "e")]), from: "e")
        #expect(d.core.suspicions["b"]!.timeout == .milliseconds(4_500))
        #expect(third.first == .schedule(.suspicion("b", token: 1), after: .milliseconds(3_500)))
        d.advance(.milliseconds(3_500))
        #expect(d.fire(.suspicion("b", token: 1)).memberChanges == [
            MemberChange(node: "b", status: .dead, incarnation: 0, previous: .suspect),
        ])
    }

    @Test func pingToASuspectCarriesTheSuspicion() {
        var d = CoreDriver()
        d.learn("b")
        _ = d.receive(.gossip([.suspect(id: "b", incarnation: 2, from: "c")]), from: "c")
        d.drain()
        #expect(d.probeTick().sends.map { $0.message } == [.ping(seq: 1, gossip: [.suspect(id: "b", incarnation: 2, from: "a")])])
    }

    @Test func settingsFormulas() {
        let s = MeshSettings.lan
        #expect(s.retransmitMult == 5)
        #expect(s.retransmitMinimum == 10)
        // mult * ceil(log10(n + 1)), floored at the minimum.
        #expect(s.retransmitLimit(members: 1) == 10)  // 5 * ceil(log10(2)) = 5, floored
        #expect(s.retransmitLimit(members: 9) == 10)
        #expect(s.retransmitLimit(members: 10) == 10)  // 5 * 2
        #expect(s.retransmitLimit(members: 100) == 15)  // 5 * ceil(log10(101)) = 5 * 3
        #expect(s.retransmitLimit(members: 1_000) == 20)
        var noFloor = s
        noFloor.retransmitMinimum = 0
        #expect(noFloor.retransmitLimit(members: 1) == 5)
        #expect(noFloor.retransmitLimit(members: 10) == 10)
        let p = MeshSettings.pinned
        #expect(p.suspicionMinimumTimeout(members: 5) == .milliseconds(4_500))
        #expect(p.suspicionMinimumTimeout(members: 100) == .milliseconds(4_500))
        #expect(p.suspicionMinimumTimeout(members: 1_000) == .milliseconds(6_750))
    }
}
