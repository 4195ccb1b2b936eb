import Testing
@testable import PlexusCore

/// What a node reports of its links around a restart. Routes are costed from published figures
/// only, so a neighbour reported with the loss of the probes it missed while it was down keeps
/// traffic off a node that is back.
@Suite struct MeshLinkHealthTests {
    /// A core forwarding to `neighbors` only (ids or patterns), knowing `peers` (the neighbours
    /// when nil), with `measured` alive and probed enough to report.
    private func driver(neighbors: [String], peers: [NodeID]? = nil, measured: [NodeID]) -> CoreDriver {
        var d = CoreDriver("a", start: false)
        d.core = MeshCore(id: "a", address: "a", signingKey: meshKey(for: "a"), settings: .pinned, generation: 1,
                          record: ["neighbors": .array(neighbors.map { .string($0) })])
        d.startOutput = d.core.start(seeds: [], now: d.now, rng: &d.rng)
        d.drain()
        for id in peers ?? neighbors.map({ NodeID($0) }) { d.learn(id) }
        for id in measured { measure(id, &d) }
        return d
    }

    private func measure(_ id: NodeID, _ d: inout CoreDriver) {
        var stat = LinkStat(rttMilliseconds: 2, loss: 0)
        stat.samples = 3
        d.core.links[id] = stat
    }

    /// The links in the link-health entry `a` publishes, or nil before its first.
    private func reportedLinks(_ d: CoreDriver) -> JSONObject? {
        guard let entry = d.core.registry[RegistryKey(owner: "a", kind: .linkHealth, id: "a")],
              let payload = entry.payload, case .object(let value)? = try? JSONParser.parse(payload),
              case .object(let links)? = value["links"] else { return nil }
        return links
    }

    /// The peers `a` reports, or nil before its first report.
    private func reported(_ d: CoreDriver) -> Set<String>? {
        reportedLinks(d).map { Set($0.keys) }
    }

    /// The loss `a` publishes for `peer`, or nil when it does not report it.
    private func reportedLoss(of peer: String, _ d: CoreDriver) -> Double? {
        guard case .object(let link)? = reportedLinks(d)?[peer] else { return nil }
        return link["loss"]?.doubleValue
    }

    /// b measured and reported, c measured a second later: c is still not reported a minute on.
    private func expectALateMeasuredPeerWaitsForTheRefresh(_ d: inout CoreDriver) {
        measure("b", &d)
        housekeeping(at: 1, &d)
        #expect(reported(d) == ["b"])
        measure("c", &d)
        for t: Int64 in 2...60 { housekeeping(at: t, &d) }
        #expect(reported(d) == ["b"])
    }

    private func housekeeping(at seconds: Int64, _ d: inout CoreDriver) {
        d.now = .s(seconds)
        _ = d.fire(.housekeeping)
    }

    /// While a node warms up its neighbours are measured one after another (two probes each):
    /// reporting each at once would make a version per neighbour, gossiped to every node.
    @Test func neighboursMeasuredWhileWarmingUpWaitForTheRefresh() {
        var d = driver(neighbors: ["b", "c"], measured: [])
        expectALateMeasuredPeerWaitsForTheRefresh(&d)
    }

    /// Without configured neighbours the report is a sample of the mesh: a newly measured peer
    /// joins it at the next refresh, not at once (warming up would republish every second).
    @Test func withoutConfiguredNeighboursNewPeersWaitForTheRefresh() {
        var d = CoreDriver("a")
        d.learn("b", "c")
        expectALateMeasuredPeerWaitsForTheRefresh(&d)
    }

    /// A neighbour back from dead (a restart) is reported with no loss: the probes it missed
    /// measured its absence, which membership already showed, not the link.
    @Test func aNeighbourBackFromDeadStartsWithoutTheLossOfItsAbsence() {
        var d = driver(neighbors: ["b"], measured: ["b"])
        d.core.links["b"]!.loss = 0.6
        _ = d.receive(.gossip([.dead(id: "b", incarnation: 0, from: "c")]), from: "c")
        #expect(d.core.member("b")?.status == .dead)
        #expect(d.core.links["b"]?.loss == 0.6)
        _ = d.receive(.gossip([.alive(id: "b", incarnation: 1, address: "b")]), from: "b")
        #expect(d.core.member("b")?.status == .alive)
        #expect(d.core.links["b"]?.loss == 0)
        #expect(d.core.links["b"]?.rttMilliseconds == 2)
    }

    /// A neighbour reported with the loss measured while it was failing, back before the next
    /// scheduled check: the next housekeeping reports it again without the loss (a scheduled
    /// check up to 30 s later kept routes off it that long).
    @Test func aReportedNeighbourBackFromDeadIsReportedAgainWithoutItsLoss() {
        var d = driver(neighbors: ["b", "c"], measured: ["b", "c"])
        housekeeping(at: 1, &d)
        #expect(reportedLoss(of: "b", d) == 0)
        d.core.links["b"]!.loss = 0.6
        housekeeping(at: 31, &d)
        #expect(reportedLoss(of: "b", d) == 0.6, "the scheduled check reports the loss")
        d.now = .s(32)
        _ = d.receive(.gossip([.dead(id: "b", incarnation: 0, from: "c")]), from: "c")
        d.now = .s(33)
        _ = d.receive(.gossip([.alive(id: "b", incarnation: 1, address: "b")]), from: "b")
        #expect(reportedLoss(of: "b", d) == 0.6)
        housekeeping(at: 33, &d)
        #expect(reportedLoss(of: "b", d) == 0)
    }

    /// A neighbour that died is dropped from the report at the next scheduled check; back from
    /// its restart it is reported again at the next housekeeping, not at the refresh minutes
    /// later: until then routes through it were costed as unmeasured, and its neighbours'
    /// alternatives led back the way messages came (routing-relay-crash, seed 22).
    @Test func aNeighbourDroppedWhileDeadIsReportedAgainWhenItIsBack() {
        var d = driver(neighbors: ["b", "c"], measured: ["b", "c"])
        housekeeping(at: 1, &d)
        #expect(reported(d) == ["b", "c"])
        d.now = .s(2)
        _ = d.receive(.gossip([.dead(id: "b", incarnation: 0, from: "c")]), from: "c")
        housekeeping(at: 31, &d)
        #expect(reported(d) == ["c"], "a dead neighbour is not reported")
        d.now = .s(40)
        _ = d.receive(.gossip([.alive(id: "b", incarnation: 1, address: "b")]), from: "b")
        housekeeping(at: 41, &d)
        #expect(reported(d) == ["b", "c"])
        #expect(reportedLoss(of: "b", d) == 0)
        // Only once: the housekeeping after it finds nothing new to report.
        let version = d.core.registry[RegistryKey(owner: "a", kind: .linkHealth, id: "a")]?.version
        housekeeping(at: 42, &d)
        #expect(d.core.registry[RegistryKey(owner: "a", kind: .linkHealth, id: "a")]?.version == version)
    }

    /// Suspicion cleared (alive again without a restart) keeps the measured loss: that link
    /// really did drop probes.
    @Test func aNeighbourClearedOfSuspicionKeepsItsLoss() {
        var d = driver(neighbors: ["b"], measured: ["b"])
        d.core.links["b"]!.loss = 0.3
        _ = d.receive(.gossip([.suspect(id: "b", incarnation: 0, from: "c")]), from: "c")
        #expect(d.core.member("b")?.status == .suspect)
        _ = d.receive(.gossip([.alive(id: "b", incarnation: 1, address: "b")]), from: "b")
        #expect(d.core.member("b")?.status == .alive)
        #expect(d.core.links["b"]?.loss == 0.3)
    }
}
