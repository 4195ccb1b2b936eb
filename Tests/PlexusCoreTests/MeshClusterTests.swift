import Testing
@testable import PlexusCore

/// Several cores wired together by `MeshHarness`, and determinism.
@Suite struct MeshClusterTests {
    static let five: [NodeID] = ["n1", "n2", "n3", "n4", "n5"]

    /// Nodes start 200 ms apart, each with the first as its seed, then settle.
    static func convergedMesh(_ ids: [NodeID] = five, seed: UInt64 = 1) -> MeshHarness {
        var mesh = MeshHarness(ids, seed: seed)
        for id in ids {
            mesh.start(id, seeds: [ids[0].rawValue])
            mesh.run(for: .milliseconds(200))
        }
        mesh.run(for: .seconds(2))
        return mesh
    }

    /// One core through a scripted life; every directive it emitted.
    static func scriptedRun(seed: UInt64) -> [MeshDirective] {
        var d = CoreDriver("a", seed: seed, seeds: ["b"])
        var out = d.startOutput
        out += d.receive(.gossip([.alive(id: "b", incarnation: 0, address: "b"), .alive(id: "c", incarnation: 0, address: "c"),
                                  .alive(id: "d", incarnation: 0, address: "d"), .entry(nodeEntry("b"))]), from: "b")
        for step in 1...6 {
            d.advance(.milliseconds(500))
            out += d.probeTick()
            if let seq = d.core.probe?.seq { out += d.fire(.probeTimeout(seq: seq)) }
            out += d.fire(.gossip(token: d.core.gossipToken))
            out += d.core.publish(kind: .subject, id: "s\(step)", value: ["step": .integer(Int64(step))], now: d.now)
            out += d.fire(.antiEntropy)
        }
        out += d.receive(.pingReq(seq: 3, target: "c", address: "c", gossip: []), from: "b")
        out += d.fire(.housekeeping)
        return out
    }

    @Test func sameSeedAndInputsGiveIdenticalDirectives() {
        let first = Self.scriptedRun(seed: 42)
        #expect(first.count > 30)
        #expect(Self.scriptedRun(seed: 42) == first)
        #expect(Self.scriptedRun(seed: 43) != first)
    }

    @Test func sameSeedGivesTheSameMeshRun() {
        let a = Self.convergedMesh(seed: 9)
        let b = Self.convergedMesh(seed: 9)
        #expect(a.log.count > 100)
        #expect(a.log == b.log)
        #expect(a.now == b.now)
    }

    @Test func fiveNodesFindEachOtherThroughOneSeed() {
        let mesh = Self.convergedMesh()
        #expect(mesh.converged)
        for id in Self.five {
            #expect(mesh.cores[id]!.activeMemberCount == 4)
            #expect(mesh.cores[id]!.registry.live(.node).count == 5)
        }
    }

    /// All started in the same instant, the joiners only learn the seed from their join round and
    /// the seed does not re-gossip members it learned by anti-entropy: the others meet at the
    /// first anti-entropy round instead.
    @Test func simultaneousStartConvergesByTheFirstAntiEntropyRound() {
        var mesh = MeshHarness(Self.five)
        mesh.startAll()
        mesh.run(for: .seconds(3))
        #expect(mesh.cores["n1"]!.activeMemberCount == 4)
        mesh.run(for: .seconds(5))
        #expect(mesh.converged)
    }

    @Test func crashedNodeIsSuspectedThenDeclaredDeadByAll() {
        var mesh = Self.convergedMesh()
        mesh.down.insert("n5")
        let crashedAt = mesh.now
        var suspectedBy: Set<NodeID> = []
        // Dead within 3 periods of probing plus the full suspicion timeout (3 × 4.5 s) at most.
        while mesh.step(until: crashedAt + .seconds(20)) {
            for id in Self.five.dropLast() where mesh.status(of: "n5", at: id) == .suspect { suspectedBy.insert(id) }
        }
        #expect(!suspectedBy.isEmpty)
        for id in Self.five.dropLast() {
            #expect(mesh.status(of: "n5", at: id) == .dead, "\(id)")
            for other in Self.five.dropLast() where other != id {
                #expect(mesh.status(of: other, at: id) == .alive, "false positive: \(id) about \(other)")
            }
        }
    }

    @Test func gracefulLeaveIsSeenAsLeftNotDead() {
        var mesh = Self.convergedMesh()
        mesh.act("n3") { core, now in core.leave(now: now) }
        mesh.run(for: .milliseconds(500))
        mesh.down.insert("n3")
        mesh.run(for: .seconds(20))
        for id: NodeID in ["n1", "n2", "n4", "n5"] {
            #expect(mesh.status(of: "n3", at: id) == .left, "\(id)")
        }
    }

    @Test func publishedEntrySpreadsByGossipWithinMilliseconds() {
        var mesh = Self.convergedMesh()
        mesh.act("n2") { core, now in core.publish(kind: .subject, id: "agent", value: ["home": "n2"], now: now) }
        mesh.run(for: .milliseconds(100))
        let key = RegistryKey(owner: "n2", kind: .subject, id: "agent")
        for id in Self.five {
            #expect(mesh.cores[id]!.registry[key]?.value == ["home": "n2"], "\(id)")
        }
    }

    @Test func antiEntropyRepairsWhatGossipLost() {
        var mesh = Self.convergedMesh()
        // The entry is dropped from n4's broadcast queue at once: only anti-entropy can carry it.
        mesh.act("n4") { core, now in
            let out = core.publish(kind: .backbone, id: "route", value: ["via": "n4"], now: now)
            _ = core.broadcasts.take(budget: .max, limit: 1)
            return out
        }
        mesh.run(for: .seconds(1))
        let key = RegistryKey(owner: "n4", kind: .backbone, id: "route")
        #expect(Self.five.filter { mesh.cores[$0]!.registry[key] != nil } == ["n4"])
        mesh.run(for: .seconds(30))
        for id in Self.five {
            #expect(mesh.cores[id]!.registry[key] != nil, "\(id)")
        }
        #expect(mesh.converged)
    }

    @Test func cutOffNodeRefutesTheSuspicionAndStaysAlive() {
        var mesh = Self.convergedMesh()
        // Everything to and from n2 is lost for 3 s, less than the minimum suspicion timeout.
        let healAt = mesh.now + .seconds(3)
        mesh.drop = { _, from, to, now in (from == "n2" || to == "n2") && now < healAt }
        mesh.run(for: .seconds(15))
        let aboutN2 = mesh.log.compactMap { line -> Member.Status? in
            guard case .membershipChanged(let c) = line.directive, c.node == "n2" else { return nil }
            return c.status
        }
        #expect(aboutN2.contains(.suspect))
        #expect(!aboutN2.contains(.dead))
        #expect(mesh.cores["n2"]!.incarnation > 0)
        #expect(mesh.converged)
    }
}
