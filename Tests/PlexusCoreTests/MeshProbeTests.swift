import Testing
@testable import PlexusCore

/// Direct and indirect probes: ping/ack, ping-req relaying with Lifeguard nacks, link-down probes.
@Suite struct MeshProbeTests {
    let b = Peer(id: "b", address: "b")

    @Test func pingIsAnsweredWithAck() {
        var d = CoreDriver()
        #expect(d.receive(.ping(seq: 7, gossip: []), from: "b") == [.send(.ack(seq: 7, gossip: []), to: b)])
        #expect(d.core.stats.messagesReceived == 1)
    }

    @Test func gossipOnAPingIsAppliedAndPassedOnInTheAck() {
        var d = CoreDriver()
        let alive = GossipItem.alive(id: "c", incarnation: 2, address: "c")
        #expect(d.receive(.ping(seq: 7, gossip: [alive]), from: "b") == [
            .membershipChanged(MemberChange(node: "c", status: .alive, incarnation: 2, previous: nil)),
            .send(.ack(seq: 7, gossip: [alive]), to: b),
        ])
    }

    @Test func pingFromAMemberThoughtDeadIsToldSo() {
        var d = CoreDriver()
        d.learn("b", "c")
        _ = d.receive(.gossip([.dead(id: "b", incarnation: 0, from: "c")]), from: "c")
        d.drain()
        #expect(d.receive(.ping(seq: 3, gossip: []), from: "b") == [
            .send(.ack(seq: 3, gossip: [.dead(id: "b", incarnation: 0, from: "a")]), to: b),
        ])
    }

    @Test func stoppedCoreIgnoresInput() {
        var core = makeCore("a")
        var rng = SplitMix64(seed: 1)
        #expect(core.receive(.ping(seq: 1, gossip: []), from: "b", now: .zero, rng: &rng) == [])
        #expect(core.timerFired(.antiEntropy, now: .zero, rng: &rng) == [])
    }

    @Test func pingReqPingsTheTargetAndArmsARelayTimeout() {
        var d = CoreDriver()
        #expect(d.receive(.pingReq(seq: 9, target: "c", address: "c:1", gossip: []), from: "b") == [
            .send(.ping(seq: 1, gossip: []), to: Peer(id: "c", address: "c:1")),
            .schedule(.relayTimeout(seq: 1), after: .milliseconds(400)),
        ])
    }

    @Test func pingReqUsesTheKnownAddressOfTheTarget() {
        var d = CoreDriver()
        _ = d.receive(.gossip([.alive(id: "c", incarnation: 0, address: "c:known")]), from: "c")
        d.drain()
        #expect(d.receive(.pingReq(seq: 9, target: "c", address: "c:stale", gossip: []), from: "b").sends.first?.to
            == Peer(id: "c", address: "c:known"))
    }

    @Test func relayedAckIsForwardedToTheOriginWithItsSeq() {
        var d = CoreDriver()
        _ = d.receive(.pingReq(seq: 9, target: "c", address: "c", gossip: []), from: "b")
        d.advance(.milliseconds(3))
        #expect(d.receive(.ack(seq: 1, gossip: []), from: "c") == [.send(.ack(seq: 9, gossip: []), to: b)])
        // Answered: the relay timeout has nothing left to do, a second ack nothing to forward.
        d.advance(.milliseconds(400))
        #expect(d.fire(.relayTimeout(seq: 1)) == [])
        #expect(d.receive(.ack(seq: 1, gossip: []), from: "c") == [])
    }

    @Test func relayTimeoutSendsNackToTheOrigin() {
        var d = CoreDriver()
        _ = d.receive(.pingReq(seq: 9, target: "c", address: "c", gossip: []), from: "b")
        d.advance(.milliseconds(400))
        #expect(d.fire(.relayTimeout(seq: 1)) == [.send(.nack(seq: 9), to: b)])
        #expect(d.fire(.relayTimeout(seq: 1)) == [])
    }

    @Test func indirectAckSavesTheTargetButDoesNotLowerAwareness() throws {
        var d = CoreDriver()
        d.learn("b", "c", "d", "e")
        d.core.awareness = 2
        let target = try #require(d.probeTick().pingTarget)
        d.advance(.milliseconds(1_500))
        let helper = try #require(d.fire(.probeTimeout(seq: 1)).sends.first?.to.id)
        #expect(d.receive(.ack(seq: 1, gossip: []), from: helper) == [])
        #expect(d.core.awareness == 2)
        d.advance(.milliseconds(1_500))
        #expect(d.probeTick().memberChanges == [])
        #expect(d.core.member(target)?.status == .alive)
        #expect(d.core.awareness == 2)
    }

    @Test func lateDirectAckAfterTimeoutStillCountsButNotForHealth() throws {
        var d = CoreDriver()
        d.learn("b")
        d.core.awareness = 1
        _ = d.probeTick()
        d.advance(.seconds(1))
        _ = d.fire(.probeTimeout(seq: 1))
        #expect(d.receive(.ack(seq: 1, gossip: []), from: "b") == [])
        #expect(d.core.awareness == 1)
        d.advance(.seconds(1))
        #expect(d.probeTick().memberChanges == [])
        #expect(d.core.member("b")?.status == .alive)
    }

    @Test func unrelatedAcksAndNacksAreIgnored() {
        var d = CoreDriver()
        d.learn("b")
        _ = d.probeTick()
        #expect(d.receive(.ack(seq: 42, gossip: []), from: "b") == [])
        #expect(d.receive(.nack(seq: 42), from: "b") == [])
        #expect(d.core.probe?.acked == false)
        #expect(d.core.probe?.nacks == 0)
        #expect(d.fire(.probeTimeout(seq: 42)) == [])
        #expect(d.fire(.probe(token: 1)) == [])  // superseded token
    }

    @Test func linkDownProbesAtOnceOutOfBand() {
        var d = CoreDriver()
        d.learn("b", "c")
        // An out-of-band probe: settled by its own `.probeEnd` timer one period on, and the
        // regular probe timer is left alone.
        #expect(d.linkDown("b") == [
            .send(.ping(seq: 1, gossip: []), to: b),
            .schedule(.probeTimeout(seq: 1), after: .milliseconds(500)),
            .schedule(.probeEnd(seq: 1), after: .seconds(1)),
        ])
        #expect(d.core.probe == nil)
        #expect(d.core.outOfBandProbes.map(\.target) == ["b"])
        // Already being probed, or unknown: nothing to do.
        #expect(d.linkDown("b") == [])
        #expect(d.linkDown("zz") == [])
        // No ack within the period: the end timer makes b suspect.
        d.advance(.seconds(1))
        #expect(d.fire(.probeEnd(seq: 1)).memberChanges == [MemberChange(node: "b", status: .suspect, incarnation: 0, previous: .alive)])
        #expect(d.core.probes.isEmpty)
        #expect(d.fire(.probeEnd(seq: 1)) == [])
    }

    @Test func ackedOutOfBandProbeEndsQuietly() {
        var d = CoreDriver()
        d.learn("b", "c")
        _ = d.linkDown("b")
        d.advance(.milliseconds(3))
        #expect(d.receive(.ack(seq: 1, gossip: []), from: "b") == [])
        d.advance(.seconds(1))
        #expect(d.fire(.probeEnd(seq: 1)) == [])
        #expect(d.core.member("b")?.status == .alive)
        #expect(d.core.probes.isEmpty)
        #expect(d.core.stats.probesFailed == 0)
    }

    @Test func linkDownOfTheRegularTargetStartsNoSecondProbe() throws {
        var d = CoreDriver()
        d.learn("b", "c")
        let first = try #require(d.probeTick().pingTarget)
        #expect(d.linkDown(first) == [])
        #expect(d.core.probes.count == 1)
    }

    /// An out-of-band probe after `linkDown` runs beside the regular probe in flight: it neither
    /// settles (and so suspects) the regular target early nor cancels its probe, and its own end
    /// timer settles only itself.
    @Test func outOfBandProbeDoesNotSuspectOrCancelTheRegularTarget() throws {
        var d = CoreDriver()
        d.learn("b", "c")
        let first = try #require(d.probeTick().pingTarget)
        let other: NodeID = first == "b" ? "c" : "b"
        let regular = try #require(d.core.probe)
        #expect(regular.target == first)
        d.advance(.milliseconds(100))
        // No answer from `first` yet: the link to `other` breaks.
        #expect(d.linkDown(other) == [
            .send(.ping(seq: regular.seq + 1, gossip: []), to: d.core.peer(other)),
            .schedule(.probeTimeout(seq: regular.seq + 1), after: .milliseconds(500)),
            .schedule(.probeEnd(seq: regular.seq + 1), after: .seconds(1)),
        ])
        #expect(d.core.member(first)?.status == .alive)
        #expect(d.core.probe?.seq == regular.seq)
        #expect(d.core.probe?.target == first)
        #expect(d.core.probe?.acked == false)
        #expect(d.core.outOfBandProbes.map(\.target) == [other])
        // The regular target answers late in its window; `other` never does.
        d.advance(.milliseconds(200))
        #expect(d.receive(.ack(seq: regular.seq, gossip: []), from: first) == [])
        #expect(d.core.probe?.acked == true)
        d.advance(.milliseconds(300))
        #expect(d.fire(.probeTimeout(seq: regular.seq)) == [])
        d.advance(.milliseconds(100))
        let relays = d.fire(.probeTimeout(seq: regular.seq + 1)).sends
        #expect(relays.map(\.to.id) == [first])  // helpers exclude the target
        // End of the period: the regular probe is settled without suspicion.
        d.advance(.milliseconds(300))
        #expect(d.probeTick().memberChanges == [])
        #expect(d.core.member(first)?.status == .alive)
        #expect(d.core.stats.probesFailed == 0)
        // The out-of-band probe ends on its own timer and suspects only its own target.
        d.advance(.milliseconds(100))
        #expect(d.fire(.probeEnd(seq: regular.seq + 1)).memberChanges == [
            MemberChange(node: other, status: .suspect, incarnation: 0, previous: .alive),
        ])
        #expect(d.core.member(first)?.status == .alive)
        #expect(d.core.stats.probesFailed == 1)
        #expect(d.core.outOfBandProbes.isEmpty)
    }

    /// The other way round: an ack to the out-of-band probe does not answer the regular one, so
    /// a silent regular target is still suspected at the end of the period.
    @Test func outOfBandAckDoesNotSaveTheRegularTarget() throws {
        var d = CoreDriver()
        d.learn("b", "c")
        let first = try #require(d.probeTick().pingTarget)
        let other: NodeID = first == "b" ? "c" : "b"
        let seq = try #require(d.core.probe?.seq)
        d.advance(.milliseconds(100))
        _ = d.linkDown(other)
        d.advance(.milliseconds(2))
        #expect(d.receive(.ack(seq: seq + 1, gossip: []), from: other) == [])
        #expect(d.core.probe?.acked == false)
        d.advance(.milliseconds(898))
        #expect(d.probeTick().memberChanges == [MemberChange(node: first, status: .suspect, incarnation: 0, previous: .alive)])
        d.advance(.milliseconds(100))
        #expect(d.fire(.probeEnd(seq: seq + 1)).memberChanges == [])
        #expect(d.core.member(other)?.status == .alive)
    }
}
