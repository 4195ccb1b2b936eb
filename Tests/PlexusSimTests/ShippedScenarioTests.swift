import Foundation
import PlexusCore
import PlexusSimFiles
import Testing

@testable import PlexusSim

/// The scenario files in simulations/, found from this file's path.
func shippedScenarioPaths() -> [String] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let dir = root.appendingPathComponent("simulations")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(".yaml") }.sorted().map { dir.appendingPathComponent($0).path }
}

/// One case per scenario and seed, so the seeds of a long scenario (200 nodes) run in parallel.
func shippedScenarioCases() -> [String] {
    shippedScenarioPaths().flatMap { path in
        ((try? ScenarioFile.load(path: path))?.seeds ?? [0]).map { "\(path)#\($0)" }
    }
}

func runScenario(_ path: String, seed: UInt64) async throws {
    let scenario = try ScenarioFile.load(path: path)
    #expect(scenario.seeds.count >= 2, "\(scenario.name) must run with at least two seeds")
    #expect(!scenario.assertions.isEmpty, "\(scenario.name) has no assertions")
    let report = try await offPool {
        var simulation = Simulation(scenario: scenario, seed: seed)
        return simulation.run()
    }
    for check in report.checks where !check.passed {
        let failure = "\(scenario.name) seed \(seed): \(check.assertion) failed, actual \(check.actual.map { "\($0)" } ?? "no such metric")"
            + report.notes.map { "\n  " + $0 }.joined()
        Issue.record(Comment(rawValue: failure))
    }
}

/// Every shipped scenario runs with each of its seeds (at least two) and all its assertions hold.
@Suite struct ShippedScenarioTests {
    @Test func scenariosAreShipped() {
        let names = Set(shippedScenarioPaths().map { URL(fileURLWithPath: $0).lastPathComponent })
        for required in ["join-wave.yaml", "join-burst.yaml", "update-storm.yaml", "crash-stop.yaml", "loss-0.yaml", "loss-5.yaml",
                         "loss-10.yaml", "pause-3s.yaml", "pause-12s.yaml", "steady-state.yaml", "partition-heal.yaml",
                         "routing-relay-crash.yaml", "routing-flap.yaml", "routing-ring.yaml", "routing-grid.yaml",
                         "routing-federation-200.yaml", "routing-partition.yaml"] {
            #expect(names.contains(required), "simulations/\(required) is missing")
        }
    }

    /// `scenarioCase`: the file's path, `#`, the seed.
    @Test(arguments: shippedScenarioCases())
    func scenarioHolds(scenarioCase: String) async throws {
        let split = try #require(scenarioCase.lastIndex(of: "#"))
        let seed = try #require(UInt64(scenarioCase[scenarioCase.index(after: split)...]))
        try await runScenario(String(scenarioCase[..<split]), seed: seed)
    }
}
