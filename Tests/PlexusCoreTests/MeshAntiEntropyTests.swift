import Testing
@testable import PlexusCore

/// Digest anti-entropy between two cores, messages passed by hand (`exchange` in the harness).
@Suite struct MeshAntiEntropyTests {
    /// Two cores that found each other through a join round and agree on everything.
    static func convergedPair() -> (CoreDriver, CoreDriver) {
        var a = CoreDriver("a", seeds: ["b"])
        var b = CoreDriver("b", seed: 8)
        let join = a.startOutput
        exchange(&a, &b, starting: join, from: "a")
        a.drain()
        b.drain()
        return (a, b)
    }

    static func rootsEqual(_ a: CoreDriver, _ b: CoreDriver) -> Bool {
        a.core.digestRoots.members == b.core.digestRoots.members && a.core.digestRoots.registry == b.core.digestRoots.registry
    }

    @Test func strangersConvergeInOneJoinRound() {
        var a = CoreDriver("a", seeds: ["b"])
        var b = CoreDriver("b", seed: 8)
        #expect(!Self.rootsEqual(a, b))
        let join = a.startOutput
        let messages = exchange(&a, &b, starting: join, from: "a")
        #expect(messages.map(\.kind) == ["syncDigest", "syncBuckets", "syncSummary", "syncUpdate", "syncSummary", "syncUpdate"])
        #expect(Self.rootsEqual(a, b))
        #expect(a.core.member("b")?.status == .alive)
        #expect(b.core.member("a")?.status == .alive)
        #expect(a.core.registry.live(.node).map(\.key.owner) == ["a", "b"])
        #expect(b.core.registry.live(.node) == a.core.registry.live(.node))
    }

    /// A seed that was not there at start (every node started at once) is tried again at every
    /// anti-entropy round until it is a member, so groups formed around different seeds merge.
    @Test func unresolvedSeedsAreRetriedUntilTheyAreMembers() {
        var a = CoreDriver("a", seeds: ["b", "c"])
        a.learn("b")
        func joinTargets(_ out: [MeshDirective]) -> [String] {
            out.sends.compactMap { if case .syncDigest(let d) = $0.message, d.join { $0.to.address } else { nil } }
        }
        // b is a member: only c is knocked on, and at every round.
        #expect(joinTargets(a.fire(.antiEntropy)) == ["c"])
        #expect(joinTargets(a.fire(.antiEntropy)) == ["c"])
        a.learn("c")
        #expect(joinTargets(a.fire(.antiEntropy)) == [])
    }

    @Test func entriesLostFromGossipAreRepaired() {
        var (a, b) = Self.convergedPair()
        for i in 1...5 {
            _ = a.core.publish(kind: .subject, id: "s\(i)", value: ["n": .integer(Int64(i))], now: a.now)
        }
        a.drain()  // the gossip never reaches b
        #expect(!Self.rootsEqual(a, b))
        let tick = a.fire(.antiEntropy)
        let messages = exchange(&a, &b, starting: tick, from: "a")
        // Only the registry differs and only a has news: b answers with its summary alone.
        #expect(messages.map(\.kind) == ["syncDigest", "syncBuckets", "syncSummary", "syncSummary", "syncUpdate"])
        if case .syncBuckets(let buckets) = messages[1] {
            #expect(buckets.memberBuckets.isEmpty)
            #expect(buckets.registryBuckets.count == 16)
        }
        #expect(Self.rootsEqual(a, b))
        #expect(b.core.registry.live(.subject) == a.core.registry.live(.subject))
        #expect(b.core.registry.live(.subject).count == 5)
    }

    @Test func bothSidesRepairEachOtherInOneRound() {
        var (a, b) = Self.convergedPair()
        for i in 1...3 { _ = a.core.publish(kind: .subject, id: "a\(i)", value: ["n": 1], now: a.now) }
        for i in 1...2 { _ = b.core.publish(kind: .backbone, id: "b\(i)", value: ["n": 2], now: b.now) }
        _ = b.core.publish(kind: .backbone, id: "b1", value: nil, now: b.now)
        a.drain()
        b.drain()
        let tick = a.fire(.antiEntropy)
        let messages = exchange(&a, &b, starting: tick, from: "a")
        #expect(messages.map(\.kind) == ["syncDigest", "syncBuckets", "syncSummary", "syncUpdate", "syncSummary", "syncUpdate"])
        #expect(Self.rootsEqual(a, b))
        #expect(a.core.registry.live(.backbone).map(\.key.id) == ["b2"])
        #expect(a.core.registry[RegistryKey(owner: "b", kind: .backbone, id: "b1")]?.isTombstone == true)
        #expect(b.core.registry.live(.subject).count == 3)
    }

    @Test func equalRootsEndTheRoundAfterTheDigest() {
        var (a, b) = Self.convergedPair()
        let roots = b.core.digestRoots
        #expect(b.receive(.syncDigest(SyncDigest(round: 9, bucketCount: 16, memberRoot: roots.members,
                                                 registryRoot: roots.registry, join: false)), from: "a") == [])
        let tick = a.fire(.antiEntropy)
        #expect(exchange(&a, &b, starting: tick, from: "a").map(\.kind) == ["syncDigest"])
    }

    @Test(arguments: [UInt16(0), 3, 12, 100, 512, 65_535])
    func bucketCountsThatAreNotAPowerOfTwoUpTo256AreIgnored(_ count: UInt16) {
        let a = CoreDriver("a")
        var b = CoreDriver("b", seed: 8)
        let roots = a.core.digestRoots
        func digest(_ c: UInt16) -> MeshMessage {
            .syncDigest(SyncDigest(round: 1, bucketCount: c, memberRoot: roots.members, registryRoot: roots.registry, join: true))
        }
        #expect(b.receive(digest(count), from: "a") == [])
        #expect(b.receive(.syncSummary(SyncSummary(round: 1, bucketCount: count, memberBuckets: [], registryBuckets: [],
                                                   members: [], entries: [], wantsReply: true)), from: "a") == [])
        #expect(b.receive(digest(16), from: "a").sends.map { $0.message.kind } == ["syncBuckets"])
    }

    @Test func summaryNamingABucketOutOfRangeIsIgnored() {
        var b = CoreDriver("b", seed: 8)
        #expect(b.receive(.syncSummary(SyncSummary(round: 1, bucketCount: 16, memberBuckets: [16], registryBuckets: [],
                                                   members: [], entries: [], wantsReply: true)), from: "a") == [])
    }

    @Test func bucketsMustMatchAnOpenSession() throws {
        var a = CoreDriver("a")
        var b = CoreDriver("b", seed: 8)
        func replyToNewSession() -> SyncBuckets? {
            let digest = a.core.startSync(with: Peer(id: "b", address: "b"), join: false, now: a.now)
            guard case .syncBuckets(let reply)? = b.receive(digest.sends[0].message, from: "a").sends.first?.message else { return nil }
            return reply
        }
        var wrongCount = try #require(replyToNewSession())
        wrongCount.bucketCount = 32
        #expect(a.receive(.syncBuckets(wrongCount), from: "b") == [])
        var wrongRound = try #require(replyToNewSession())
        wrongRound.round = 99
        #expect(a.receive(.syncBuckets(wrongRound), from: "b") == [])
        let good = try #require(replyToNewSession())
        #expect(a.receive(.syncBuckets(good), from: "b").sends.map { $0.message.kind } == ["syncSummary"])
        #expect(a.receive(.syncBuckets(good), from: "b") == [])  // the session is used up
    }

    /// Was a bug: `handleBuckets` removed the session before checking the sender, so a
    /// `syncBuckets` from a third node with a guessed round number cancelled the real peer's reply.
    @Test func bucketsFromTheWrongPeerMustNotCancelTheSession() throws {
        var a = CoreDriver("a")
        var b = CoreDriver("b", seed: 8)
        let digest = a.core.startSync(with: Peer(id: "b", address: "b"), join: false, now: a.now)
        let reply = try #require(b.receive(digest.sends[0].message, from: "a").sends.first?.message)
        #expect(a.receive(reply, from: "c") == [])
        #expect(a.receive(reply, from: "b").sends.map { $0.message.kind } == ["syncSummary"])
    }

    @Test(arguments: [(Member.Status.dead, Member.Status.suspect), (.left, .left)])
    func membershipIsRepairedToo(_ remote: Member.Status, _ expected: Member.Status) {
        var (a, b) = Self.convergedPair()
        a.learn("c")
        b.learn("c")
        _ = b.receive(.gossip([.dead(id: "c", incarnation: 0, from: remote == .left ? "c" : "d")]), from: "d")
        b.drain()
        #expect(b.core.member("c")?.status == remote)
        let digest = a.core.startSync(with: Peer(id: "b", address: "b"), join: false, now: a.now)
        exchange(&a, &b, starting: digest, from: "a")
        // A remote "dead" only makes a suspect (it gets to refute it); a "left" is taken as is.
        #expect(a.core.member("c")?.status == expected)
        #expect(b.core.member("c")?.status == remote)
    }

    /// Repairs are mostly not re-gossiped, except a peer announcing itself, a member back from the
    /// dead, and suspicion (a remote "dead" arrives as suspicion, so the member can refute it).
    @Test func repairsThatSpreadAreReGossiped() {
        var d = CoreDriver()
        d.learn("c", "e")
        _ = d.receive(.gossip([.dead(id: "e", incarnation: 0, from: "c")]), from: "c")
        d.drain()
        func update(_ m: MemberSummary, from: NodeID) -> (out: [MeshDirective], gossip: [GossipItem]) {
            let out = d.receive(.syncUpdate(members: [m], entries: []), from: from)
            let gossip = d.core.broadcasts.take(budget: .max, limit: 1)
            d.drain()
            return (out, gossip)
        }
        // The peer announcing itself: spread.
        let joiner = update(MemberSummary(id: "b", address: "b", incarnation: 0, status: .alive), from: "b")
        #expect(joiner.out.memberChanges == [MemberChange(node: "b", status: .alive, incarnation: 0, previous: nil)])
        #expect(joiner.gossip == [.alive(id: "b", incarnation: 0, address: "b")])
        // A third node learned from a peer: applied, not spread.
        let third = update(MemberSummary(id: "f", address: "f", incarnation: 0, status: .alive), from: "b")
        #expect(third.out.memberChanges == [MemberChange(node: "f", status: .alive, incarnation: 0, previous: nil)])
        #expect(third.gossip == [])
        // A known member's newer incarnation: applied, not spread.
        let newer = update(MemberSummary(id: "c", address: "c", incarnation: 1, status: .alive), from: "b")
        #expect(d.core.member("c")?.incarnation == 1)
        #expect(newer.gossip == [])
        // Back from the dead: spread.
        let back = update(MemberSummary(id: "e", address: "e", incarnation: 1, status: .alive), from: "b")
        #expect(back.out.memberChanges == [MemberChange(node: "e", status: .alive, incarnation: 1, previous: .dead)])
        #expect(back.gossip == [.alive(id: "e", incarnation: 1, address: "e")])
        // A remote dead: suspicion, spread as such.
        let dead = update(MemberSummary(id: "c", address: "c", incarnation: 1, status: .dead), from: "b")
        #expect(dead.out.memberChanges == [MemberChange(node: "c", status: .suspect, incarnation: 1, previous: .alive)])
        #expect(dead.gossip == [.suspect(id: "c", incarnation: 1, from: "b")])
    }

    /// Was a bug: `start` opened the join session without `now`, so it was recorded as started at
    /// 0; on a real clock the first anti-entropy tick pruned it and the seed's reply was dropped.
    @Test func joinSessionStartsAtStartTime() throws {
        var a = CoreDriver("a", seeds: ["b"], at: .s(100))
        var b = CoreDriver("b", seed: 8, at: .s(100))
        let buckets = try #require(b.receive(a.startOutput.sends[0].message, from: "a").sends.first?.message)
        a.advance(.seconds(5))
        _ = a.fire(.antiEntropy)  // alone: knocks on the seed again, and prunes old sessions
        #expect(a.receive(buckets, from: "b").sends.map { $0.message.kind } == ["syncSummary"])
    }
}
