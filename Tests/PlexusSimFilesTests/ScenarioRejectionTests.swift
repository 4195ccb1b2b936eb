import Foundation
import PlexusSimFiles
import PlexusYAML
import Testing

/// Bad scenario files fail naming the key path and line. `Fixtures.scenarioHead` is 10 lines, so
/// appended text starts at line 11.
@Suite struct ScenarioRejectionTests {
    func rejection(_ tail: String, head: String = Fixtures.scenarioHead) throws -> ConfigurationError {
        try #require(Fixtures.error { _ = try ScenarioFile.load(yaml: head + tail, baseDirectory: "") })
    }

    @Test func unknownTopLevelKey() throws {
        let error = try rejection("duraton: 5s\n")
        #expect(error.key == "duraton")
        #expect(error.line == 11)
        #expect(error.message.contains("unknown key"))
    }

    @Test func unknownEventKind() throws {
        let error = try rejection("""
            events:
              - at: 1s
                crash: {count: 1}
              - at: 2s
                explode: {count: 1}
            """)
        #expect(error.key == "events[1].explode")
        #expect(error.line == 15)
        #expect(error.message.contains("unknown event") && error.message.contains("one_way_loss"))
    }

    @Test func badDuration() throws {
        let error = try rejection("""
            events:
              - at: 1s
                pause: {count: 1, for: 5 parsecs}
            """)
        #expect(error.key == "events[0].pause.for")
        #expect(error.line == 13)
        #expect(error.message.contains("5 parsecs"))
    }

    @Test func lossAboveOneHundredPercent() throws {
        let error = try rejection("""
            events:
              - at: 1s
                loss: 150%
            """)
        #expect(error.key == "events[0].loss")
        #expect(error.line == 13)
    }

    @Test func assertionWithUnknownOperator() throws {
        let error = try rejection("""
            assertions:
              - converged == 1
              - false_dead != 0
            """)
        #expect(error.key == "assertions[1]")
        #expect(error.line == 13)
        #expect(error.message.contains("unknown operator '!='"))
    }

    @Test func missingDuration() throws {
        let head = Fixtures.scenarioHead.replacingOccurrences(of: "duration: 60s\n", with: "")
        let error = try rejection("seeds: [3]\n", head: head)
        #expect(error.key == "duration")
        #expect(error.line == 1)
        #expect(error.message.contains("required"))
    }

    @Test func eventErrorsNameTheirPath() throws {
        let count = try rejection("""
            events:
              - at: 1s
                join: {count: 1}
              - at: 2s
                crash: {count: many}
            """)
        #expect(count.key == "events[1].crash.count")
        #expect(count.line == 15)

        let unknownNode = try rejection("""
            events:
              - at: 1s
                restart:
                  nodes: [acme/eu1/n001, acme/eu1/n099]
            """)
        #expect(unknownNode.key == "events[0].restart.nodes[1]")
        #expect(unknownNode.line == 14)

        let twoEvents = try rejection("""
            events:
              - at: 1s
                heal: {}
                leave: {count: 1}
            """)
        #expect(twoEvents.key == "events[0].leave")
        #expect(twoEvents.line == 14)

        let noSelection = try rejection("""
            events:
              - at: 1s
                crash: {reset_links: true}
            """)
        #expect(noSelection.key == "events[0].crash")
        #expect(noSelection.line == 13)

        let unknownCluster = try rejection("""
            events:
              - at: 1s
                partition: {groups: [{organisation: acme, cluster: nope}]}
            """)
        #expect(unknownCluster.key == "events[0].partition.groups[0].cluster")

        let late = try rejection("""
            events:
              - at: 2m
                heal: {}
            """)
        #expect(late.key == "events[0].at")
        #expect(late.line == 12)
    }

    @Test func settingsAreChecked() throws {
        let unknown = try rejection("settings:\n  probe_intervall: 1s\n")
        #expect(unknown.key == "settings.probe_intervall")
        #expect(unknown.line == 12)

        let zero = try rejection("settings: {gossip_interval: 0s}\n")
        #expect(zero.key == "settings.gossip_interval")
        #expect(zero.line == 11)
    }
}
