import PlexusCore
import Testing

@testable import PlexusSim

/// A LAN topology of `n` nodes in one organisation and two clusters.
func lanTopology(_ n: Int) -> Topology {
    Topology(name: "lan", linkClasses: ["lan": .lan], links: .init(sameCluster: "lan", sameOrganisation: "lan", crossOrganisation: "lan"),
             organisations: [.init(name: "acme", clusters: [.init(name: "a", nodes: []), .init(name: "b", nodes: [])])]).resized(to: n)
}

@Suite struct SimulationTests {
    @Test func sameSeedSameTrace() {
        let scenario = Scenario(name: "determinism", topology: lanTopology(12), duration: .seconds(20),
                                events: [.init(at: .seconds(8), event: .crash(.random(1), resetLinks: false)),
                                         .init(at: .seconds(9), event: .updates(count: 10, rate: 20))])
        var a = Simulation(scenario: scenario, seed: 7)
        var b = Simulation(scenario: scenario, seed: 7)
        var c = Simulation(scenario: scenario, seed: 8)
        let ra = a.run(), rb = b.run(), rc = c.run()
        #expect(ra.traceHash == rb.traceHash)
        #expect(ra.events == rb.events)
        #expect(ra.traceHash != rc.traceHash)
        print(ra.text)
    }
}
