import Foundation
import PlexusCore
import PlexusSim
import PlexusSimFiles
import PlexusYAML
import Testing

@Suite struct ScenarioFileTests {
    static let scenario = """
        name: crash-stop
        description: free text
        topology: ../topology/two-orgs.yaml
        nodes: 40
        seeds: [1, 2]
        duration: 90s
        profile: wan
        settings:
          probe_interval: 2s
          gossip_nodes: 5
          suspicion_max_multiplier: 4.5
        start: {initial: 30, stagger: 10ms}
        measure_from: 30s
        events:
          - at: 10s
            join: {count: 10, rate: 10/s}
          - at: 20s
            crash: {count: 3, reset_links: true}
          - at: 20s
            restart: {nodes: [acme/eu1/n003]}
          - at: 30s
            pause: {count: 1, for: 3s}
          - at: 40s
            partition: {groups: [{organisation: acme}, {organisation: beta, cluster: ap1}], for: 30s}
          - at: 70s
            heal: {}
          - at: 0s
            loss: 5%
          - at: 5s
            one_way_loss: {from: {nodes: [beta/ap1/n001]}, to: {count: 2}, rate: 50%, for: 10s}
          - at: 0s
            clock_skew: {count: 5, drift: 0.001, offset: -2s}
          - at: 30s
            updates: {count: 200, rate: 50/s}
          - at: 50s
            leave: {count: 1}
        assertions:
          - converged == 1
          - join_visible_p99 <= 1s
          - dead_detect_p50<500ms
          - false_dead == 0
        """

    @Test func completeScenarioWithTopologyFileParses() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        for dir in ["topology", "simulations"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        try Fixtures.topology.write(to: root.appendingPathComponent("topology/two-orgs.yaml"), atomically: true, encoding: .utf8)
        let path = root.appendingPathComponent("simulations/crash-stop.yaml")
        try Self.scenario.write(to: path, atomically: true, encoding: .utf8)

        let scenario = try ScenarioFile.load(path: path.path)
        #expect(scenario.name == "crash-stop")
        #expect(scenario.description == "free text")
        #expect(scenario.topology.name == "two-orgs")
        #expect(scenario.topology.nodes.count == 40)
        #expect(scenario.topology.links.crossOrganisation == "wan")
        #expect(scenario.seeds == [1, 2])
        #expect(scenario.duration == .seconds(90))
        var expectedSettings = MeshSettings.wan
        expectedSettings.probeInterval = .seconds(2)
        expectedSettings.gossipNodes = 5
        expectedSettings.suspicionMaxMultiplier = 4.5
        #expect(scenario.settings == expectedSettings)
        #expect(scenario.start == Scenario.Start(initial: 30, stagger: .milliseconds(10), seedNodes: 3))
        #expect(scenario.measureFrom == .seconds(30))
        #expect(scenario.events.count == 11)
        #expect(scenario.events[0] == Scenario.TimedEvent(at: .seconds(10), event: .join(count: 10, rate: 10)))
        #expect(scenario.events[1].event == .crash(.random(3), resetLinks: true))
        #expect(scenario.events[2].event == .restart(.nodes(["acme/eu1/n003"])))
        #expect(scenario.events[3].event == .pause(.random(1), for: .seconds(3)))
        #expect(scenario.events[4].event == .partition(groups: [.organisation("acme"), .cluster(organisation: "beta", cluster: "ap1")],
                                                        for: .seconds(30)))
        #expect(scenario.events[5].event == .heal)
        #expect(scenario.events[6].event == .loss(0.05))
        #expect(scenario.events[7].event == .oneWayLoss(from: .nodes(["beta/ap1/n001"]), to: .random(2), rate: 0.5, for: .seconds(10)))
        #expect(scenario.events[8].event == .clockSkew(.random(5), drift: 0.001, offset: .seconds(-2)))
        #expect(scenario.events[9].event == .updates(count: 200, rate: 50))
        #expect(scenario.events[10].event == .leave(.random(1)))
        #expect(scenario.assertions == [
            Scenario.Assertion(metric: "converged", op: .eq, value: 1),
            Scenario.Assertion(metric: "join_visible_p99", op: .le, value: 1),
            Scenario.Assertion(metric: "dead_detect_p50", op: .lt, value: 0.5),
            Scenario.Assertion(metric: "false_dead", op: .eq, value: 0),
        ])
    }

    @Test func inlineTopologyAndDefaults() throws {
        let scenario = try ScenarioFile.load(yaml: Fixtures.scenarioHead, baseDirectory: "")
        #expect(scenario.topology.name == "t")
        #expect(scenario.topology.nodes.count == 7)
        #expect(scenario.seeds == [1])
        #expect(scenario.settings == .lan)
        #expect(scenario.start == Scenario.Start())
        #expect(scenario.measureFrom == .zero)
        #expect(scenario.events.isEmpty && scenario.assertions.isEmpty)
    }

    @Test func missingTopologyFileNamesTheKey() throws {
        let error = try #require(Fixtures.error {
            _ = try ScenarioFile.load(yaml: "name: x\ntopology: ../topology/nope.yaml\nduration: 1s\n", baseDirectory: "/nonexistent")
        })
        #expect(error.key == "topology")
        #expect(error.line == 2)
    }
}
