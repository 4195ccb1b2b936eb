import Testing
@testable import PlexusCore

/// A (re)connected peer link triggers an anti-entropy round at once.
@Suite struct MeshPeerConnectedTests {
    @Test func reconnectStartsASyncRoundWithThatPeer() {
        var rng = SplitMix64(seed: 1)
        var a = makeCore("a")
        _ = a.start(seeds: [], now: .s(1), rng: &rng)
        _ = a.receive(.gossip([.alive(id: "b", incarnation: 0, address: "b:7946")]), from: "b", now: .s(1), rng: &rng)
        let out = a.peerConnected("b", now: .s(2))
        guard case .send(.syncDigest(let digest), let peer)? = out.first, out.count == 1 else {
            Issue.record("expected one syncDigest, got \(out)")
            return
        }
        #expect(peer == Peer(id: "b", address: "b:7946"))
        #expect(digest.memberRoot == a.digestRoots.members)
        #expect(digest.registryRoot == a.digestRoots.registry)
        #expect(a.peerConnected("a", now: .s(2)) == [])
    }

    @Test func nodeEntryAnnouncesAddressesAndKey() throws {
        var rng = SplitMix64(seed: 1)
        var a = makeCore("a")
        _ = a.start(seeds: [], now: .s(1), rng: &rng)
        let entry = try #require(a.registry[RegistryKey(owner: "a", kind: .node, id: "a")])
        #expect(entry.value?["addresses"] == ["a"])
        #expect(entry.value?["signing_key"] == .string(Hex.encode(meshKey(for: "a").publicKey)))
    }
}
