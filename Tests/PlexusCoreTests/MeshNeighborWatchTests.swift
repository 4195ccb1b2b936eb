import Testing
@testable import PlexusCore

/// Forwarding neighbours are probed every protocol period besides the round robin, so a relay
/// that fails silently is suspected by the nodes whose routes run through it within about two
/// periods, not after the random wait for its turn in someone's round robin.
@Suite struct MeshNeighborWatchTests {
    /// `a` forwarding to `neighbors` (ids or patterns), knowing b, c, d and e.
    private func driver(neighbors: [String], settings: MeshSettings = .pinned) -> CoreDriver {
        var d = CoreDriver("a", start: false)
        d.core = MeshCore(id: "a", address: "a", signingKey: meshKey(for: "a"), settings: settings, generation: 1,
                          record: ["neighbors": .array(neighbors.map { .string($0) })])
        d.startOutput = d.core.start(seeds: [], now: d.now, rng: &d.rng)
        d.drain()
        d.learn("b", "c", "d", "e")
        return d
    }

    private func pinged(_ out: [MeshDirective]) -> [NodeID] {
        out.sends.compactMap { if case .ping = $0.message { $0.to.id } else { nil } }
    }

    @Test func aForwardingNeighbourIsPingedEveryPeriodBesidesTheRoundRobin() {
        var d = driver(neighbors: ["b", "x*"])
        for _ in 0..<8 {
            d.advance(.seconds(1))
            let pings = pinged(d.probeTick())
            #expect(pings.filter { $0 == "b" }.count == 1, "\(pings)")
            // The round robin goes on as before: one other member a period, or b itself.
            #expect(pings.count == (pings.first == "b" ? 1 : 2), "\(pings)")
        }
    }

    @Test func aSilentNeighbourIsSuspectedAtTheNextPeriod() {
        var d = driver(neighbors: ["b"])
        d.advance(.seconds(1))
        #expect(pinged(d.probeTick()).contains("b"))
        d.advance(.seconds(1))
        let out = d.probeTick()
        #expect(out.memberChanges.contains { $0.node == "b" && $0.status == .suspect })
        #expect(d.core.member("b")?.status == .suspect)
    }

    @Test func anAnsweringNeighbourStaysAlive() {
        var d = driver(neighbors: ["b"])
        for _ in 0..<4 {
            d.advance(.seconds(1))
            let out = d.probeTick()
            for (message, peer) in out.sends {
                guard case .ping(let seq, _) = message, let id = peer.id else { continue }
                d.advance(.milliseconds(2))
                _ = d.receive(.ack(seq: seq, gossip: []), from: id)
            }
        }
        #expect(d.core.member("b")?.status == .alive)
        #expect(d.core.stats.probesFailed == 0)
    }

    @Test func turnedOffOnlyTheRoundRobinProbes() {
        var settings = MeshSettings.pinned
        settings.watchedNeighbors = 0
        var d = driver(neighbors: ["b"], settings: settings)
        for _ in 0..<4 {
            d.advance(.seconds(1))
            #expect(pinged(d.probeTick()).count == 1)
        }
    }
}
