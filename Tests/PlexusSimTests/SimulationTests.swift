import PlexusCore
import Testing

@testable import PlexusSim

/// A LAN topology of `n` nodes in one organisation and two clusters.
func lanTopology(_ n: Int) -> Topology {
    Topology(name: "lan", linkClasses: ["lan": .lan], links: .init(sameCluster: "lan", sameOrganisation: "lan", crossOrganisation: "lan"),
             organisations: [.init(name: "acme", clusters: [.init(name: "a", nodes: []), .init(name: "b", nodes: [])])]).resized(to: n)
}

@Suite struct SimulationTests {
    @Test func sameSeedSameTrace() async throws {
        // Every kind of fault at once, so any nondeterminism in any of them changes the hash.
        let scenario = Scenario(name: "determinism", topology: lanTopology(16), duration: .seconds(40), events: [
            .init(at: .zero, event: .clockSkew(.random(2), drift: 0.001, offset: .milliseconds(300))),
            .init(at: .seconds(2), event: .loss(0.05)),
            .init(at: .seconds(8), event: .crash(.random(1), resetLinks: true)),
            .init(at: .seconds(9), event: .updates(count: 10, rate: 20)),
            .init(at: .seconds(10), event: .pause(.random(1), for: .seconds(3))),
            .init(at: .seconds(12), event: .oneWayLoss(from: .random(1), to: .random(3), rate: 0.5, for: .seconds(5))),
            .init(at: .seconds(15), event: .partition(groups: [.cluster(organisation: "acme", cluster: "a")], for: .seconds(8))),
            .init(at: .seconds(26), event: .restart(.random(1))),
            .init(at: .seconds(28), event: .join(count: 0, rate: nil)),
            .init(at: .seconds(30), event: .leave(.random(1))),
        ])
        let (ra, rb, rc) = try await offPool {
            var a = Simulation(scenario: scenario, seed: 7)
            var b = Simulation(scenario: scenario, seed: 7)
            var c = Simulation(scenario: scenario, seed: 8)
            return (a.run(), b.run(), c.run())
        }
        #expect(ra.traceHash == rb.traceHash)
        #expect(ra.events == rb.events)
        #expect(ra.traceHash != rc.traceHash)
    }

    @Test func crashedNodeIsDeclaredDeadEverywhere() async throws {
        let scenario = Scenario(name: "crash", topology: lanTopology(10), duration: .seconds(30),
                                events: [.init(at: .seconds(10), event: .crash(.random(1), resetLinks: false))])
        let report = try await offPool {
            var sim = Simulation(scenario: scenario, seed: 3)
            return sim.run()
        }
        #expect(report.metric("crash_observations") == 9)
        #expect(report.metric("crashes_undetected") == 0)
        #expect(report.metric("converged") == 1)
        #expect((report.metric("dead_p99") ?? 0) > 4)  // never before the minimum suspicion timeout
    }

    @Test func unknownMetricFailsItsAssertion() {
        let scenario = Scenario(name: "typo", topology: lanTopology(3), duration: .seconds(2),
                                assertions: [.init(metric: "no_such_metric", op: .eq, value: 0)])
        var sim = Simulation(scenario: scenario, seed: 1)
        let report = sim.run()
        #expect(!report.passed)
        #expect(report.checks.first?.actual == nil)
    }
}
