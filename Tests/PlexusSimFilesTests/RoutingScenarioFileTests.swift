import Foundation
import PlexusCore
import PlexusSim
import PlexusSimFiles
import PlexusYAML
import Testing

/// The `routing:` block and the `traffic` and `flap` events. `Fixtures.scenarioHead` is 10
/// lines (acme/eu1/n001…n005, beta/us1/gw and beta/us1/a), so appended text starts at line 11.
@Suite struct RoutingScenarioFileTests {
    func load(_ tail: String) throws -> Scenario {
        try ScenarioFile.load(yaml: Fixtures.scenarioHead + tail, baseDirectory: "")
    }

    func rejection(_ tail: String) throws -> ConfigurationError {
        try #require(Fixtures.error { _ = try load(tail) })
    }

    @Test func completeRoutingBlockParses() throws {
        let scenario = try load("""
            routing:
              shape: grid
              columns: 3
              shortcuts: [[acme/eu1/n001, beta/us1/a]]
              subjects:
                - {id: acme.alice, home: acme/eu1/n002}
                - {count: 3, prefix: svc}
              interest:
                - {patterns: ["orders.>", "alerts.*"], nodes: {organisation: beta}}
              fsync: 5ms
              payload_bytes: 1024
              settings: {min_ack_timeout: 100ms, max_ack_timeout: 2s, hop_limit: 8, max_usable_loss: 40%}
            events:
              - at: 5s
                traffic: {from: {organisation: acme}, to: [acme.alice, svc-002], topics: [orders.eu], topic_share: 25%, count: 100, rate: 20/s}
              - at: 6s
                traffic: {to: all, count: 10, rate: 1/s}
              - at: 10s
                flap: {between: [acme/eu1/n001, acme/eu1/n002], period: 2s, down: 500ms, for: 20s, reset_links: true}
            """)
        let routing = try #require(scenario.routing)
        #expect(routing.shape == .grid(columns: 3))
        #expect(routing.shortcuts == [Scenario.Shortcut("acme/eu1/n001", "beta/us1/a")])
        #expect(routing.subjects == [.at("acme.alice", home: "acme/eu1/n002"), .random(count: 3, prefix: "svc")])
        #expect(routing.subjectIDs == ["acme.alice", "svc-001", "svc-002", "svc-003"])
        #expect(routing.interest == [Scenario.InterestPlacement(patterns: ["orders.>", "alerts.*"], nodes: .organisation("beta"))])
        #expect(routing.fsyncDelay == .milliseconds(5))
        #expect(routing.payloadBytes == 1024)
        #expect(routing.settings.minAckTimeout == .milliseconds(100))
        #expect(routing.settings.maxAckTimeout == .seconds(2))
        #expect(routing.settings.hopLimit == 8)
        #expect(routing.settings.maxUsableLoss == 0.4)
        #expect(scenario.events.map(\.event) == [
            .traffic(Scenario.Traffic(from: .organisation("acme"), to: ["acme.alice", "svc-002"], topics: ["orders.eu"],
                                      topicShare: 0.25, count: 100, rate: 20)),
            .traffic(Scenario.Traffic(to: ["acme.alice", "svc-001", "svc-002", "svc-003"], count: 10, rate: 1)),
            .flap(Scenario.Flap(a: "acme/eu1/n001", b: "acme/eu1/n002", period: .seconds(2), down: .milliseconds(500),
                                duration: .seconds(20), resetLinks: true)),
        ])
    }

    @Test func defaultsAreTheFullMeshAndTheCoreSettings() throws {
        let scenario = try load("routing: {}\n")
        #expect(scenario.routing == Scenario.Routing())
        #expect(scenario.routing?.shape == .full)
        #expect(scenario.routing?.fsyncDelay == .milliseconds(2))
        #expect(try load("").routing == nil)
    }

    @Test func trafficShareDefaultsFollowWhatIsGiven() {
        #expect(Scenario.Traffic(to: ["a"], count: 1, rate: 1).topicShare == 0)
        #expect(Scenario.Traffic(topics: ["t"], count: 1, rate: 1).topicShare == 1)
        #expect(Scenario.Traffic(to: ["a"], topics: ["t"], count: 1, rate: 1).topicShare == 0.5)
    }

    @Test func unknownShape() throws {
        let error = try rejection("routing:\n  shape: star\n")
        #expect(error.key == "routing.shape")
        #expect(error.line == 12)
        #expect(error.message.contains("full, ring, chain, grid, clusters"))
    }

    @Test func gridNeedsColumnsAndOnlyGridTakesThem() throws {
        #expect(try rejection("routing: {shape: grid}\n").message.contains("columns"))
        let error = try rejection("routing: {shape: ring, columns: 3}\n")
        #expect(error.key == "routing.columns")
        #expect(try rejection("routing: {shape: grid, gateways: 2, columns: 2}\n").key == "routing.gateways")
    }

    @Test func subjectsAreCheckedAndPlacedOnce() throws {
        #expect(try rejection("routing:\n  subjects: [{id: bad id, home: acme/eu1/n001}]\n").message.contains("spaces"))
        let unknownHome = try rejection("routing:\n  subjects: [{id: a, home: acme/eu1/n099}]\n")
        #expect(unknownHome.key == "routing.subjects[0].home")
        let twice = try rejection("routing:\n  subjects: [{count: 2, prefix: s}, {id: s-002, home: acme/eu1/n001}]\n")
        #expect(twice.message.contains("'s-002' is placed twice"))
    }

    @Test func interestMayNotCatchDirectedMessages() throws {
        let error = try rejection("""
            routing:
              subjects: [{id: acme.alice, home: acme/eu1/n001}]
              interest: [{patterns: ["direct.>"], nodes: {count: 1}}]
            """)
        #expect(error.key == "routing.interest[0].patterns")
        #expect(error.message.contains("acme.alice"))
        let bad = try rejection("routing:\n  interest: [{patterns: [\"a..b\"], nodes: {count: 1}}]\n")
        #expect(bad.key == "routing.interest[0].patterns")
    }

    @Test func trafficNeedsTheRoutingBlockAndKnownSubjects() throws {
        let noRouting = try rejection("events:\n  - at: 1s\n    traffic: {topics: [a], count: 1, rate: 1/s}\n")
        #expect(noRouting.key == "events[0].traffic")
        #expect(noRouting.message.contains("routing block"))
        let unknown = try rejection("""
            routing:
              subjects: [{id: acme.alice, home: acme/eu1/n001}]
            events:
              - at: 1s
                traffic: {to: [acme.bob], count: 1, rate: 1/s}
            """)
        #expect(unknown.key == "events[0].traffic.to")
        #expect(unknown.message.contains("acme.bob"))
        let nothing = try rejection("routing: {}\nevents:\n  - at: 1s\n    traffic: {count: 1, rate: 1/s}\n")
        #expect(nothing.message.contains("to (subjects) or topics"))
        let share = try rejection("routing: {}\nevents:\n  - at: 1s\n    traffic: {topics: [a], topic_share: 10%, count: 1, rate: 1/s}\n")
        #expect(share.key == "events[0].traffic.topic_share")
    }

    @Test func flapIsChecked() throws {
        let down = try rejection("""
            events:
              - at: 1s
                flap: {between: [acme/eu1/n001, acme/eu1/n002], period: 1s, down: 1s, for: 10s}
            """)
        #expect(down.key == "events[0].flap.down")
        #expect(down.line == 13)
        let same = try rejection("""
            events:
              - at: 1s
                flap: {between: [acme/eu1/n001, acme/eu1/n001], period: 2s, down: 1s, for: 10s}
            """)
        #expect(same.message.contains("twice"))
        let unknown = try rejection("""
            events:
              - at: 1s
                flap: {between: [acme/eu1/n001, acme/eu1/n077], period: 2s, down: 1s, for: 10s}
            """)
        #expect(unknown.key == "events[0].flap.between[1]")
    }

    @Test func shortcutsArePairsOfKnownNodes() throws {
        #expect(try rejection("routing: {shape: chain, shortcuts: [[acme/eu1/n001]]}\n").key == "routing.shortcuts[0]")
        #expect(try rejection("routing: {shape: chain, shortcuts: [[acme/eu1/n001, acme/eu1/n001]]}\n").message.contains("itself"))
    }

    @Test func routingSettingsAreChecked() throws {
        let error = try rejection("routing:\n  settings: {min_ack_timeout: 3s, max_ack_timeout: 1s}\n")
        #expect(error.key == "routing.settings.min_ack_timeout")
        #expect(try rejection("routing:\n  settings: {hop_limt: 3}\n").message.contains("unknown key"))
        let tooHigh = try rejection("routing:\n  settings: {hop_limit: 256}\n")
        #expect(tooHigh.key == "routing.settings.hop_limit")
        #expect(tooHigh.message.contains("255"))
    }
}
