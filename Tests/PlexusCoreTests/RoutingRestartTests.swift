import Testing
@testable import PlexusCore

/// A relay that crashed and came back, seen from its neighbours: what held it as failed must
/// not outlast its return, and what waits only for an avoidance to lapse goes on when it does.
/// Found with `simulations/routing-relay-crash.yaml` (seed 19: messages went round the
/// alternative for 15 s past the restart).
@Suite struct RoutingRestartTests {
    /// a → b → d is the cheap way, a → c → d the alternative.
    private func diamond() -> RoutingTestMesh {
        let fast = LinkStat(rttMilliseconds: 1, loss: 0), slow = LinkStat(rttMilliseconds: 30, loss: 0)
        return RoutingTestMesh(["a", "b", "c", "d"], links: [("a", "b"), ("b", "d"), ("a", "c"), ("c", "d")],
                               subjects: ["d": ["agent-d"]],
                               measured: ["a": ["b": fast, "c": slow], "b": ["a": fast, "d": fast],
                                          "c": ["a": slow, "d": slow], "d": ["b": fast, "c": slow]])
    }

    private func dataSends(_ mesh: RoutingTestMesh, from: NodeID) -> [NodeID] {
        mesh.wire.compactMap { $0.from == from && { if case .data = $0 { true } else { false } }($0.frame) ? $0.to : nil }
    }

    /// The diamond after b crashed holding a message: a failed b over to c and d has it.
    private func failedOverFromB() -> RoutingTestMesh {
        var mesh = diamond()
        mesh.originate(at: "a", mid(60), to: ["agent-d"])
        #expect(dataSends(mesh, from: "a") == ["b"])
        // b crashes with the message: a fails it over to c once b stays silent.
        mesh.down.insert("b")
        mesh.deliverAll()
        var waited = 0
        while !mesh.peersChecked.contains(where: { $0 == ("a", "b") }), waited < 100 {
            mesh.advance(.milliseconds(100))
            waited += 1
        }
        #expect(mesh.peersChecked.contains { $0 == ("a", "b") })
        #expect(dataSends(mesh, from: "a").last == "c")
        mesh.deliverAll()
        #expect(mesh.delivered["d"] == [mid(60)])
        return mesh
    }

    /// Where a sends a new message for d (which gets it, after the first).
    private func firstHopOfTheNextMessage(_ mesh: inout RoutingTestMesh) -> NodeID? {
        mesh.wire.removeAll()
        mesh.originate(at: "a", mid(61), to: ["agent-d"])
        let sends = dataSends(mesh, from: "a")
        mesh.deliverAll()
        #expect(mesh.delivered["d"] == [mid(60), mid(61)])
        return sends.count == 1 ? sends[0] : nil
    }

    @Test func aFailedHopIsUsedAgainAsSoonAsItIsBackUp() {
        var mesh = failedOverFromB()
        // b is declared dead, restarts and is back within the failed-hop hold.
        mesh.declareDead("b")
        mesh.advance(.seconds(1))
        mesh.down.remove("b")
        mesh.declareAlive("b", incarnation: 1)
        #expect(firstHopOfTheNextMessage(&mesh) == "b", "the restarted relay is the route again")
    }

    /// A suspicion cleared is not a restart: b answered probes, but the acks it missed may be
    /// missed again, so the hold stays until it lapses or b acks something.
    @Test func aFailedHopClearedOfSuspicionStaysAvoided() {
        var mesh = failedOverFromB()
        mesh.down.remove("b")
        mesh.declareSuspect("b")
        #expect(mesh.meshes["a"]!.member("b")?.status == .suspect)
        mesh.declareAlive("b", incarnation: 1)
        #expect(firstHopOfTheNextMessage(&mesh) == "c", "still failed over for the rest of failedHopHold")
    }

    /// A message that came back from its only way on waits until the avoidance lapses, and
    /// then goes at once — not at the next retry of a backoff grown past the hold.
    @Test func aMessageHeldOnlyByAnAvoidanceGoesWhenItLapses() {
        var mesh = RoutingTestMesh(["a", "b", "d"], links: [("a", "b"), ("b", "d")], subjects: ["d": ["agent-d"]])
        let id = mid(62)
        mesh.down.insert("d")
        mesh.originate(at: "a", id, to: ["agent-d"])
        mesh.deliverAll()
        let (admission, out) = mesh.cores["a"]!.receive(DataFrame(id: id, transmission: 900, hopCount: 2, targets: ["d"], payload: Array("m".utf8)),
                                                        from: "b", now: mesh.now)
        #expect(admission == .accepted(role: .relay, deliverHere: false, targets: [.node("d")]))
        mesh.carry(out, at: "a")
        mesh.carry(mesh.cores["a"]!.persisted(id, now: mesh.now), at: "a")
        mesh.wire.removeAll()
        // Retry timers fire as they come due (to the millisecond); the hold is failedHopHold.
        let hold = RoutingSettings().failedHopHold
        for _ in 0..<(hold.milliseconds - 1) { mesh.advance(.milliseconds(1)) }
        #expect(dataSends(mesh, from: "a").isEmpty)
        mesh.advance(.milliseconds(1))
        #expect(dataSends(mesh, from: "a") == ["b"])
    }
}

private extension Duration {
    var milliseconds: Int { Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000) }
}
