import Testing
@testable import PlexusCore

/// SWIM membership transitions and refutation, one core driven by hand.
@Suite struct MeshMembershipTests {
    @Test func startAnnouncesItselfAndArmsTimers() {
        var core = makeCore("a")
        var rng = SplitMix64(seed: 7)
        var copy = rng
        let jitter = Duration.seconds(1).scaled(by: copy.nextUnit())
        let out = core.start(seeds: ["b", "a"], now: .zero, rng: &rng)
        let nodeKey = RegistryKey(owner: "a", kind: .node, id: "a")
        #expect(out == [
            .registryChanged(RegistryChange(key: nodeKey, version: EntryVersion(generation: 1, counter: 1), action: .upserted)),
            .schedule(.probe(token: 1), after: jitter),
            .schedule(.antiEntropy, after: .seconds(5)),
            .schedule(.housekeeping, after: .seconds(1)),
            .send(.syncDigest(SyncDigest(round: 1, bucketCount: 16, memberRoot: core.digestRoots.members,
                                         registryRoot: core.digestRoots.registry, join: true)), to: Peer(id: nil, address: "b")),
        ])
        #expect(Registry.signingKey(in: core.registry[nodeKey]!.payload!) == meshKey(for: "a").publicKey)
    }

    @Test func unknownBecomesAliveOnAliveGossip() {
        var d = CoreDriver()
        let out = d.receive(.gossip([.alive(id: "b", incarnation: 3, address: "b:7946")]), from: "b")
        #expect(out == [
            .membershipChanged(MemberChange(node: "b", status: .alive, incarnation: 3, previous: nil)),
            .schedule(.gossip(token: 1), after: .milliseconds(10)),
        ])
        #expect(d.core.member("b") == Member(id: "b", address: "b:7946", incarnation: 3, status: .alive, since: d.now))
        #expect(d.core.activeMemberIDs == ["b"])
        #expect(d.core.peer("b") == Peer(id: "b", address: "b:7946"))
        // The same news again changes nothing and arms nothing new.
        #expect(d.receive(.gossip([.alive(id: "b", incarnation: 3, address: "b:7946")]), from: "c") == [])
    }

    @Test func aliveBecomesSuspectWhenProbeGetsNoAck() throws {
        var d = CoreDriver()
        d.learn("b", "c", "d", "e")
        d.advance(.seconds(1))
        let tick = d.probeTick()
        let target = try #require(tick.pingTarget)
        #expect(tick == [
            .schedule(.probe(token: 2), after: .seconds(1)),
            .send(.ping(seq: 1, gossip: []), to: Peer(id: target, address: target.rawValue)),
            .schedule(.probeTimeout(seq: 1), after: .milliseconds(500)),
        ])

        d.advance(.milliseconds(500))
        let timeout = d.fire(.probeTimeout(seq: 1))
        let helpers = timeout.sends.compactMap { $0.to.id }
        #expect(Set(helpers) == Set<NodeID>(["b", "c", "d", "e"]).subtracting([target]))
        #expect(timeout == helpers.map {
            .send(.pingReq(seq: 1, target: target, address: target.rawValue, gossip: []), to: Peer(id: $0, address: $0.rawValue))
        })
        #expect(d.core.member(target)?.status == .alive)

        d.advance(.milliseconds(500))
        let next = d.probeTick()
        // n = 5, so two confirmations are expected and the first suspicion runs the full 3 × 4.5 s.
        // No nack from any of the three helpers: awareness +3, the next period is 4 s.
        #expect(Array(next.prefix(3)) == [
            .membershipChanged(MemberChange(node: target, status: .suspect, incarnation: 0, previous: .alive)),
            .schedule(.suspicion(target, token: 1), after: .milliseconds(13_500)),
            .schedule(.probe(token: 3), after: .seconds(4)),
        ])
        #expect(d.core.member(target)?.status == .suspect)
        #expect(d.core.stats.probesFailed == 1)
        #expect(d.core.stats.suspicionsRaised == 1)
    }

    @Test func suspectBecomesDeadWhenSuspicionTimerFiresAfterDeadline() {
        var d = CoreDriver()
        d.learn("b", "c")
        let out = d.receive(.gossip([.suspect(id: "b", incarnation: 0, from: "c")]), from: "c")
        // n = 3 is too small for confirmations: the timeout is the minimum at once.
        #expect(out == [
            .membershipChanged(MemberChange(node: "b", status: .suspect, incarnation: 0, previous: .alive)),
            .schedule(.suspicion("b", token: 1), after: .milliseconds(4_500)),
            .schedule(.gossip(token: 2), after: .milliseconds(10)),
        ])
        d.drain()
        d.advance(.seconds(4))
        #expect(d.fire(.suspicion("b", token: 1)) == [.schedule(.suspicion("b", token: 1), after: .milliseconds(500))])
        #expect(d.fire(.suspicion("b", token: 99)) == [])
        d.advance(.milliseconds(500))
        #expect(d.fire(.suspicion("b", token: 1)) == [
            .membershipChanged(MemberChange(node: "b", status: .dead, incarnation: 0, previous: .suspect)),
            .schedule(.gossip(token: 3), after: .milliseconds(10)),
        ])
        #expect(d.core.member("b")?.status == .dead)
        #expect(d.core.activeMemberIDs == ["c"])
        #expect(d.core.stats.deadDeclared == 1)
        #expect(d.fire(.suspicion("b", token: 1)) == [])
    }

    @Test func suspectBecomesAliveOnlyWithHigherIncarnation() {
        var d = CoreDriver()
        d.learn("b", "c")
        _ = d.receive(.gossip([.suspect(id: "b", incarnation: 2, from: "c")]), from: "c")
        d.drain()
        #expect(d.receive(.gossip([.alive(id: "b", incarnation: 2, address: "b")]), from: "b") == [])
        #expect(d.core.member("b")?.status == .suspect)

        let out = d.receive(.gossip([.alive(id: "b", incarnation: 3, address: "b")]), from: "b")
        #expect(out == [
            .membershipChanged(MemberChange(node: "b", status: .alive, incarnation: 3, previous: .suspect)),
            .schedule(.gossip(token: d.core.gossipToken), after: .milliseconds(10)),
        ])
        #expect(d.core.suspicions["b"] == nil)
        // The old suspicion timer is now moot.
        d.advance(.seconds(10))
        #expect(d.fire(.suspicion("b", token: 1)) == [])
        #expect(d.core.member("b")?.status == .alive)
    }

    @Test func deadGossipMarksDeadAndFromSelfMeansLeft() {
        var d = CoreDriver()
        d.learn("b", "c")
        #expect(d.receive(.gossip([.dead(id: "b", incarnation: 0, from: "c")]), from: "c") == [
            .membershipChanged(MemberChange(node: "b", status: .dead, incarnation: 0, previous: .alive)),
            .schedule(.gossip(token: 2), after: .milliseconds(10)),
        ])
        d.drain()
        // The last active member leaves: nobody is left to gossip to, so no gossip timer.
        #expect(d.receive(.gossip([.dead(id: "c", incarnation: 0, from: "c")]), from: "c") == [
            .membershipChanged(MemberChange(node: "c", status: .left, incarnation: 0, previous: .alive)),
        ])
        #expect(d.core.member("c")?.status == .left)
        #expect(d.core.activeMemberCount == 0)
        // A dead member comes back only with a higher incarnation.
        d.drain()
        #expect(d.receive(.gossip([.alive(id: "b", incarnation: 0, address: "b")]), from: "b") == [])
        #expect(d.receive(.gossip([.alive(id: "b", incarnation: 1, address: "b")]), from: "b") == [
            .membershipChanged(MemberChange(node: "b", status: .alive, incarnation: 1, previous: .dead)),
            .schedule(.gossip(token: d.core.gossipToken), after: .milliseconds(10)),
        ])
    }

    @Test func staleIncarnationsAreIgnored() {
        var d = CoreDriver()
        d.learn("b", incarnation: 5)
        let stale: [GossipItem] = [
            .alive(id: "b", incarnation: 4, address: "elsewhere"),
            .suspect(id: "b", incarnation: 4, from: "c"),
            .dead(id: "b", incarnation: 4, from: "c"),
            .dead(id: "unknown", incarnation: 9, from: "c"),
            .suspect(id: "unknown", incarnation: 9, from: "c"),
        ]
        for item in stale {
            #expect(d.receive(.gossip([item]), from: "c") == [], "\(item)")
        }
        #expect(d.core.member("b") == Member(id: "b", address: "b", incarnation: 5, status: .alive, since: .zero))
        #expect(d.core.member("unknown") == nil)
        #expect(d.core.broadcasts.isEmpty)
    }
}

/// SWIM refutation: a node told it is suspect or dead outbids the rumour.
@Suite struct MeshRefutationTests {
    @Test func suspicionAboutSelfIsRefutedInTheNextAck() {
        var d = CoreDriver()
        d.learn("b")
        // The accuser hears the refutation directly, once; everyone else by gossip.
        #expect(d.receive(.gossip([.suspect(id: "a", incarnation: 0, from: "b")]), from: "b") == [
            .send(.gossip([.alive(id: "a", incarnation: 1, address: "a")]), to: Peer(id: "b", address: "b")),
            .schedule(.gossip(token: 2), after: .milliseconds(10)),
        ])
        #expect(d.receive(.gossip([.suspect(id: "a", incarnation: 0, from: "b")]), from: "c") == [])
        #expect(d.core.incarnation == 1)
        #expect(d.core.awareness == 1)
        #expect(d.core.stats.refutations == 1)
        #expect(d.receive(.ping(seq: 7, gossip: []), from: "b") == [
            .send(.ack(seq: 7, gossip: [.alive(id: "a", incarnation: 1, address: "a")]), to: Peer(id: "b", address: "b")),
        ])
    }

    @Test(arguments: [
        (GossipItem.suspect(id: "a", incarnation: 4, from: "b"), UInt64(5)),
        (.dead(id: "a", incarnation: 2, from: "b"), 3),
        (.alive(id: "a", incarnation: 9, address: "somewhere-else"), 10),
    ])
    func rumourAboutSelfBumpsIncarnationAndIsGossiped(_ rumour: GossipItem, _ expected: UInt64) {
        var d = CoreDriver()
        d.learn("b")
        _ = d.receive(.gossip([rumour]), from: "b")
        #expect(d.core.incarnation == expected)
        #expect(d.core.awareness == 1)
        #expect(d.fire(.gossip(token: d.core.gossipToken)) == [
            .send(.gossip([.alive(id: "a", incarnation: expected, address: "a")]), to: Peer(id: "b", address: "b")),
            .schedule(.gossip(token: d.core.gossipToken), after: .milliseconds(200)),
        ])
    }

    @Test func rumoursThatNeedNoRefutationAreIgnored() {
        var d = CoreDriver()
        d.learn("b")
        _ = d.receive(.gossip([.suspect(id: "a", incarnation: 3, from: "b")]), from: "b")
        #expect(d.core.incarnation == 4)
        d.drain()
        // Older than what we already refuted, an own "left", an alive we already outbid.
        for item: GossipItem in [.suspect(id: "a", incarnation: 2, from: "b"), .dead(id: "a", incarnation: 4, from: "a"),
                                 .alive(id: "a", incarnation: 4, address: "a")] {
            #expect(d.receive(.gossip([item]), from: "b") == [], "\(item)")
        }
        #expect(d.core.incarnation == 4)
        #expect(d.core.stats.refutations == 1)
    }

    @Test func leavingNodeDoesNotRefuteAndAnnouncesLeft() {
        var d = CoreDriver()
        d.learn("b")
        #expect(d.core.leave(now: d.now) == [.schedule(.gossip(token: 2), after: .milliseconds(10))])
        _ = d.receive(.gossip([.suspect(id: "a", incarnation: 0, from: "b")]), from: "b")
        _ = d.receive(.gossip([.dead(id: "a", incarnation: 0, from: "b")]), from: "b")
        #expect(d.core.incarnation == 0)
        #expect(d.fire(.gossip(token: d.core.gossipToken)).sends.first?.message == .gossip([.dead(id: "a", incarnation: 0, from: "a")]))
    }

    /// Was a bug: `onDead` about self refuted without checking the incarnation and `refute` set
    /// `incarnation = inc + 1`, so a stale `.dead` rumour moved the incarnation backwards.
    @Test func staleDeadRumourAboutSelfMustNotLowerIncarnation() {
        var d = CoreDriver()
        d.learn("b")
        _ = d.receive(.gossip([.suspect(id: "a", incarnation: 5, from: "b")]), from: "b")
        #expect(d.core.incarnation == 6)
        _ = d.receive(.gossip([.dead(id: "a", incarnation: 1, from: "b")]), from: "b")
        #expect(d.core.incarnation == 6)
        #expect(d.core.stats.refutations == 1)
        // A current one is refuted above it.
        _ = d.receive(.gossip([.dead(id: "a", incarnation: 6, from: "b")]), from: "b")
        #expect(d.core.incarnation == 7)
        #expect(d.core.stats.refutations == 2)
    }
}
