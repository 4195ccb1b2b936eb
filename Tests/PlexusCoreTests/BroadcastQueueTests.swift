import Testing
@testable import PlexusCore

@Suite struct BroadcastQueueTests {
    static let aliveB = GossipItem.alive(id: "b", incarnation: 1, address: "b")
    static let suspectB = GossipItem.suspect(id: "b", incarnation: 1, from: "c")
    static let aliveC = GossipItem.alive(id: "c", incarnation: 0, address: "c")
    static let deadD = GossipItem.dead(id: "d", incarnation: 4, from: "d")

    @Test func newerBroadcastAboutTheSameMemberReplacesTheOlder() {
        var q = BroadcastQueue()
        q.enqueue(Self.aliveB)
        q.enqueue(Self.suspectB)
        #expect(q.count == 1)
        #expect(q.take(budget: 1_000, limit: 5) == [Self.suspectB])
    }

    @Test func entriesReplaceByKey() {
        var q = BroadcastQueue()
        let v2 = entry("b", .subject, "s", counter: 2)
        let v3 = entry("b", .subject, "s", counter: 3)
        let other = entry("b", .subject, "t", counter: 4)
        q.enqueue(.entry(v2))
        q.enqueue(.entry(other))
        q.enqueue(.entry(v3))
        #expect(q.count == 2)
        #expect(q.take(budget: 10_000, limit: 5) == [.entry(v3), .entry(other)])
    }

    @Test(arguments: [1, 3, 8])
    func eachBroadcastIsSentAtMostLimitTimes(_ limit: Int) {
        var q = BroadcastQueue()
        q.enqueue(Self.aliveC)
        for _ in 0..<limit { #expect(q.take(budget: 1_000, limit: limit) == [Self.aliveC]) }
        #expect(q.isEmpty)
        #expect(q.take(budget: 1_000, limit: limit) == [])
    }

    @Test func leastSentFirstThenNewestFirst() {
        var q = BroadcastQueue()
        q.enqueue(Self.aliveB)
        #expect(q.hasFresh)
        #expect(q.take(budget: 1_000, limit: 5) == [Self.aliveB])
        #expect(!q.hasFresh)
        q.enqueue(Self.aliveC)
        q.enqueue(Self.deadD)
        #expect(q.hasFresh)
        #expect(q.take(budget: 1_000, limit: 5) == [Self.deadD, Self.aliveC, Self.aliveB])
        // Re-enqueueing resets the transmit count.
        q.enqueue(Self.aliveB)
        #expect(q.take(budget: 1_000, limit: 5).first == Self.aliveB)
    }

    @Test func byteBudgetIsRespected() {
        var q = BroadcastQueue()
        let big = GossipItem.entry(entry("b", .subject, "big", counter: 2, value: .string(String(repeating: "x", count: 500))))
        for item in [Self.aliveB, Self.aliveC, big, Self.deadD] { q.enqueue(item) }
        let sizes = [Self.aliveB, Self.aliveC, big, Self.deadD].map { MeshCodec.size(of: $0) }
        #expect(q.take(budget: sizes[0] - 1, limit: 5) == [])
        // Newest first; the big entry does not fit, smaller ones after it still do.
        let budget = sizes[3] + sizes[1] + sizes[0]
        let taken = q.take(budget: budget, limit: 5)
        #expect(taken == [Self.deadD, Self.aliveC, Self.aliveB])
        #expect(taken.map { MeshCodec.size(of: $0) }.reduce(0, +) <= budget)
        #expect(q.take(budget: sizes[2], limit: 5) == [big])
    }

    @Test func coreGossipRespectsTheTransmitLimit() {
        var d = CoreDriver()
        d.learn("b")
        _ = d.receive(.gossip([Self.aliveC]), from: "b")
        let limit = MeshSettings.pinned.retransmitLimit(members: 3)
        var sent = 0
        while d.core.gossipDue != nil {
            d.advance(.milliseconds(200))
            let out = d.fire(.gossip(token: d.core.gossipToken))
            sent += out.sends.filter { $0.message == .gossip([Self.aliveC]) }.count
        }
        #expect(sent == limit)
        #expect(d.core.broadcasts.isEmpty)
    }
}
