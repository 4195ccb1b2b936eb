import Testing
@testable import PlexusCore

/// Copies that come back to a node (a peer hands back what it was handed, or a message returns
/// around a loop of gateways while a partition is being detected): custody must stay with one
/// of them, and the message must not go round the loop until its hop limit drops it. Both were
/// found by running the shipped scenarios with more seeds: `routing-partition.yaml` (7 and 8
/// lost a message to the hop limit; 2 lost one to the race below once the first was fixed) and
/// `routing-relay-crash.yaml` (3 and 6 held messages past the end, avoiding their destination).
@Suite struct RoutingLoopTests {
    private func data(_ id: MessageID, _ transmission: UInt64, hop: UInt8, to targets: [NodeID]) -> DataFrame {
        DataFrame(id: id, transmission: transmission, hopCount: hop, targets: targets, payload: Array("m".utf8))
    }

    private func sends(_ out: [ForwardDirective]) -> [NodeID] {
        out.compactMap { if case .send(_, let to) = $0 { to } else { nil } }
    }

    /// `node` takes `id` for `target` from `from` and hands it on; it reaches `target`, and
    /// `node` lets go of it. The wire is left empty. Returns how `node` took it.
    private func relayToDelivery(_ mesh: inout RoutingTestMesh, _ id: MessageID, at node: NodeID, from: NodeID, to target: NodeID) -> Admission {
        let (admission, out) = mesh.cores[node]!.receive(data(id, 1, hop: 1, to: [target]), from: from, now: mesh.now)
        mesh.carry(out, at: node)
        mesh.carry(mesh.cores[node]!.persisted(id, now: mesh.now), at: node)
        mesh.deliverAll()
        #expect(mesh.delivered[target] == [id])
        #expect(mesh.cores[node]!.heldCount == 0)
        mesh.wire.removeAll()
        return admission
    }

    /// d hands back the copy b is handing it, just while a second copy (for b itself) is being
    /// appended at b. d then acks b's transmission — d has let go of it by then — and b must
    /// keep custody, not release it on that ack as though d had it.
    @Test func aBounceWhileAnotherCopyIsBeingAppendedKeepsCustody() {
        var mesh = RoutingTestMesh(["c", "b", "d", "e"], links: [("c", "b"), ("b", "d"), ("d", "e")], subjects: ["e": ["agent-e"]])
        let id = mid(40)
        var b = mesh.cores["b"]!
        let now = mesh.now
        _ = b.receive(data(id, 1, hop: 1, to: ["e"]), from: "c", now: now)
        let first = b.persisted(id, now: now)
        guard let sent = first.compactMap({ if case .send(let f, "d") = $0 { f } else { nil } }).first else {
            Issue.record("b did not hand it to d: \(first)")
            return
        }
        // A second copy, for b itself and e, arrives and is being appended.
        let (second, _) = b.receive(data(id, 2, hop: 1, to: ["b", "e"]), from: "c", now: now)
        #expect(second == .accepted(role: .destination, deliverHere: true, targets: []))
        // d's route to e runs back through b: it hands the copy back, then acks b's transmission.
        let (back, _) = b.receive(data(id, 3, hop: 2, to: ["e"]), from: "d", now: now)
        #expect(back == .duplicate)
        #expect(b.stats.bounced == 1)
        _ = b.acked([DataAck(id: id, transmission: sent.transmission)], from: "d", now: now)
        let out = b.persisted(id, now: now)
        #expect(out.contains { if case .deliver(id) = $0 { true } else { false } })
        #expect(!out.contains { if case .released(id) = $0 { true } else { false } })
        #expect(b.heldCount == 1)
    }

    /// Three nodes each handing the message to the next round a loop (`routing-partition` seed
    /// 40): a copy for the target `a` is handing to b comes from c. `a` acks it as a duplicate
    /// but voids its own transmission to b — b's ack may be only a duplicate's, given on the
    /// strength of b's own transmission round the loop — and keeps custody. Before, every node
    /// on the loop let go on the next one's ack, and the message was lost.
    @Test func aCopyRoundALoopWhileItIsHandedOnKeepsCustody() {
        var mesh = RoutingTestMesh(["a", "b", "c", "t"], links: [("a", "b"), ("b", "t"), ("a", "c"), ("c", "t")],
                                   subjects: ["t": ["agent-t"]])
        let id = mid(44)
        mesh.originate(at: "a", id, to: ["agent-t"])
        guard case .data(let sent)? = mesh.wire.first(where: { $0.from == "a" })?.frame, mesh.wire.first?.to == "b" else {
            Issue.record("a did not hand it to b: \(mesh.wire)")
            return
        }
        mesh.wire.removeAll()
        let (admission, out) = mesh.cores["a"]!.receive(data(id, 900, hop: 3, to: ["t"]), from: "c", now: mesh.now)
        #expect(admission == .duplicate)
        #expect(out.contains { if case .ack(DataAck(id: id, transmission: 900), "c") = $0 { true } else { false } })
        #expect(mesh.cores["a"]!.stats.looped == 1)
        #expect(mesh.cores["a"]!.stats.bounced == 0)
        // Routed again, avoiding b: to c (the only other way), which now holds it too.
        #expect(sends(out) == ["c"])
        // b's ack of the voided transmission releases nothing.
        _ = mesh.cores["a"]!.acked([DataAck(id: id, transmission: sent.transmission)], from: "b", now: mesh.now)
        #expect(mesh.cores["a"]!.heldCount == 1)
        mesh.carry(out, at: "a")
        mesh.wire.removeAll { if case .acks = $0.frame { true } else { false } }
        mesh.deliverAll()
        #expect(mesh.delivered["t"] == [id])
        #expect(mesh.cores["a"]!.heldCount == 0)
    }

    /// A copy back from a peer the node gave up on (it was slow to ack, and the message went
    /// to be routed again) is acked as a duplicate, so that peer lets go of it: its late ack
    /// of the first copy must not make this node let go too. Found under load in
    /// RoutingProcessTests: the message routed again waited in the next hop's window, the
    /// restarted relay it had gone to handed its copy back, and both released it on each
    /// other's ack — logged at n1, n2 and n3, never delivered.
    @Test func aLateAckFromAPeerThatHandedItsCopyBackReleasesNothing() {
        var mesh = RoutingTestMesh(["s", "a", "b", "c", "t"], links: [("s", "a"), ("a", "b"), ("b", "t"), ("a", "c"), ("c", "t")],
                                   subjects: ["t": ["agent-t"]])
        let id = mid(47)
        _ = mesh.cores["a"]!.receive(data(id, 1, hop: 1, to: ["t"]), from: "s", now: mesh.now)
        let first = mesh.cores["a"]!.persisted(id, now: mesh.now)
        guard let toB = first.compactMap({ if case .send(let f, "b") = $0 { f } else { nil } }).first else {
            Issue.record("a did not hand it to b: \(first)")
            return
        }
        mesh.carry(first, at: "a")
        mesh.wire.removeAll()
        // b stays silent: a fails it over and hands the message to c instead.
        mesh.advance(.seconds(2))
        #expect(mesh.wire.contains { $0.from == "a" && $0.to == "c" })
        mesh.wire.removeAll()
        // b, restarted slow, took the first copy after all; its route runs back through a.
        let (back, out) = mesh.cores["a"]!.receive(data(id, 900, hop: 3, to: ["t"]), from: "b", now: mesh.now)
        #expect(back == .duplicate)
        #expect(out.contains { if case .ack(DataAck(id: id, transmission: 900), "b") = $0 { true } else { false } })
        // b lets go on that ack; its late ack of the first copy must not release a's.
        _ = mesh.cores["a"]!.acked([DataAck(id: id, transmission: toB.transmission)], from: "b", now: mesh.now)
        #expect(mesh.cores["a"]!.heldCount == 1)
        #expect(mesh.cores["a"]!.stats.lateAcks == 0)
        // What a sends from now on is acked as usual, and delivered.
        mesh.carry(out, at: "a")
        mesh.deliverAll()
        #expect(mesh.delivered["t"] == [id])
        #expect(mesh.cores["a"]!.heldCount == 0)
    }

    /// A retransmission from the peer the node had the message from is not a loop, even while
    /// the node is handing it on: acked as a duplicate, the transmission under way stands.
    @Test func aRetransmissionFromUpstreamWhileHandingItOnIsNoLoop() {
        var mesh = RoutingTestMesh(["s", "a", "b", "t"], links: [("s", "a"), ("a", "b"), ("b", "t")], subjects: ["t": ["agent-t"]])
        let id = mid(45)
        _ = mesh.cores["a"]!.receive(data(id, 1, hop: 1, to: ["t"]), from: "s", now: mesh.now)
        #expect(sends(mesh.cores["a"]!.persisted(id, now: mesh.now)) == ["b"])
        let (again, out) = mesh.cores["a"]!.receive(data(id, 2, hop: 1, to: ["t"]), from: "s", now: mesh.now)
        #expect(again == .duplicate)
        #expect(sends(out).isEmpty)
        #expect(mesh.cores["a"]!.stats.looped == 0)
    }

    /// A fan-out message passes a node once per branch of its tree: a copy for another target
    /// than the one it was handed on for is no loop, and goes the way its route says — here the
    /// peer the first branch went to (`routing-grid` seed 38 sent it round the grid for 30 s).
    @Test func aCopyForAnotherBranchOfTheTreeIsNoLoop() {
        var mesh = RoutingTestMesh(["a", "b", "c", "d", "e"], links: [("a", "b"), ("b", "d"), ("d", "e"), ("d", "c")],
                                   subjects: ["c": ["agent-c"], "e": ["agent-e"]])
        let id = mid(46)
        #expect(relayToDelivery(&mesh, id, at: "b", from: "a", to: "e") == .accepted(role: .relay, deliverHere: false, targets: [.node("e")]))
        let (branch, _) = mesh.cores["b"]!.receive(data(id, 2, hop: 1, to: ["c"]), from: "a", now: mesh.now)
        #expect(branch == .accepted(role: .relay, deliverHere: false, targets: [.node("c")]))
        #expect(mesh.cores["b"]!.stats.looped == 0)
        #expect(sends(mesh.cores["b"]!.persisted(id, now: mesh.now)) == ["d"])
    }

    /// A copy back at a node that had handed it straight to its destination goes to the
    /// destination again, not round the loop: handing a message to its destination cannot
    /// loop (the destination takes it, or acks it as the duplicate it is).
    @Test func aLoopedMessageStillGoesStraightToItsDestination() {
        var mesh = RoutingTestMesh(["a", "b", "d"], links: [("a", "b"), ("a", "d"), ("b", "d")], subjects: ["d": ["agent-d"]])
        let id = mid(42)
        #expect(relayToDelivery(&mesh, id, at: "a", from: "b", to: "d") == .accepted(role: .relay, deliverHere: false, targets: [.node("d")]))
        // b hands a copy to a again (its route to d runs through a for a moment).
        let (again, _) = mesh.cores["a"]!.receive(data(id, 2, hop: 1, to: ["d"]), from: "b", now: mesh.now)
        #expect(again == .accepted(role: .relay, deliverHere: false, targets: [.node("d")]))
        #expect(mesh.cores["a"]!.stats.looped == 1)
        #expect(sends(mesh.cores["a"]!.persisted(id, now: mesh.now)) == ["d"])
    }

    /// The avoidance is about the routes of the targets still waiting: another target acked
    /// meanwhile (a fan-out message) does not lift it; a graph change that moves the waiting
    /// target's route does.
    @Test func aLoopedFanOutKeepsAvoidingUntilTheWaitingTargetsRouteMoves() {
        var mesh = RoutingTestMesh(["a", "b", "c", "d"], links: [("a", "b"), ("b", "d"), ("a", "c")],
                                   subjects: ["c": ["agent-c"], "d": ["agent-d"]])
        let id = mid(43)
        mesh.down.insert("d")
        // a hands it on to b once (for d) and lets go of it on b's ack.
        let (first, _) = mesh.cores["a"]!.receive(data(id, 1, hop: 1, to: ["d"]), from: "c", now: mesh.now)
        #expect(first == .accepted(role: .relay, deliverHere: false, targets: [.node("d")]))
        mesh.carry(mesh.cores["a"]!.persisted(id, now: mesh.now), at: "a")
        mesh.deliverAll()
        #expect(mesh.cores["a"]!.heldCount == 0)
        // A copy for d and c comes back from b: c is reached at once, d waits (b avoided).
        mesh.wire.removeAll()
        _ = mesh.cores["a"]!.receive(data(id, 2, hop: 2, to: ["d", "c"]), from: "b", now: mesh.now)
        let out = mesh.cores["a"]!.persisted(id, now: mesh.now)
        #expect(sends(out) == ["c"])
        mesh.carry(out, at: "a")
        mesh.deliverAll()
        #expect(mesh.delivered["c"] == [id])
        #expect(mesh.cores["a"]!.held[id]?.pending.keys.elementsEqual([.node("d")]) == true)
        // Graph changes that leave d's route: still avoided, nothing goes to b.
        mesh.wire.removeAll()
        for counter: UInt64 in 60..<63 { mesh.announce("other-\(counter)", at: "c", seenBy: "a", counter: counter) }
        #expect(!mesh.wire.contains { $0.from == "a" && $0.to == "b" })
        #expect(mesh.cores["a"]!.held[id]?.avoid == ["b"])
        // b dies: d's route moves (there is none now), and the avoidance goes with it.
        mesh.declareDead("b")
        #expect(mesh.cores["a"]!.held[id]?.avoid.isEmpty == true)
        #expect(mesh.cores["a"]!.heldCount == 1)
    }

    /// A message back at a node it left keeps avoiding the peers it went to while the graph
    /// changes without changing its routes (as it does every few hundred milliseconds while a
    /// partition is detected); the avoidance lapses after `failedHopHold`.
    @Test func aLoopedMessageKeepsAvoidingThroughGraphChangesThatLeaveItsRoutes() {
        var mesh = RoutingTestMesh(["a", "b", "d"], links: [("a", "b"), ("b", "d")], subjects: ["d": ["agent-d"]])
        let id = mid(41)
        mesh.down.insert("d")  // b takes it from a and cannot hand it on
        mesh.originate(at: "a", id, to: ["agent-d"])
        mesh.deliverAll()
        #expect(mesh.cores["a"]!.heldCount == 0)
        // b's route to d turns back through a (tables disagree for a moment): it hands it back.
        let (admission, out) = mesh.cores["a"]!.receive(data(id, 900, hop: 2, to: ["d"]), from: "b", now: mesh.now)
        #expect(admission == .accepted(role: .relay, deliverHere: false, targets: [.node("d")]))
        #expect(mesh.cores["a"]!.stats.looped == 1)
        mesh.carry(out, at: "a")
        let persisted = mesh.cores["a"]!.persisted(id, now: mesh.now)
        #expect(sends(persisted).isEmpty)
        mesh.carry(persisted, at: "a")
        mesh.wire.removeAll()
        // Graph changes that leave a's route to d as it was: still not handed to b again.
        for counter: UInt64 in 50..<55 {
            mesh.announce("other-\(counter)", at: "b", seenBy: "a", counter: counter)
        }
        #expect(!mesh.wire.contains { $0.from == "a" && { if case .data = $0 { true } else { false } }($0.frame) })
        // Retry ticks before failedHopHold (10 s) do not lift it; once it lapses, b is tried again.
        for _ in 0..<19 { mesh.advance(.milliseconds(500)) }
        #expect(!mesh.wire.contains { $0.from == "a" && $0.to == "b" && { if case .data = $0 { true } else { false } }($0.frame) })
        for _ in 0..<14 { mesh.advance(.milliseconds(500)) }
        #expect(mesh.wire.contains { $0.from == "a" && $0.to == "b" && { if case .data = $0 { true } else { false } }($0.frame) })
        #expect(mesh.cores["a"]!.heldCount == 1)
    }
}
