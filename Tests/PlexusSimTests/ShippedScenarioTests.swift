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

/// Every shipped scenario runs with each of its seeds (at least two) and all its assertions hold.
@Suite struct ShippedScenarioTests {
    @Test func scenariosAreShipped() {
        let names = Set(shippedScenarioPaths().map { URL(fileURLWithPath: $0).lastPathComponent })
        for required in ["join-wave.yaml", "join-burst.yaml", "update-storm.yaml", "crash-stop.yaml", "loss-0.yaml", "loss-5.yaml",
                         "loss-10.yaml", "pause-3s.yaml", "pause-12s.yaml", "steady-state.yaml", "partition-heal.yaml"] {
            #expect(names.contains(required), "simulations/\(required) is missing")
        }
    }

    @Test(arguments: shippedScenarioPaths())
    func scenarioHolds(path: String) async throws {
        let scenario = try ScenarioFile.load(path: path)
        #expect(scenario.seeds.count >= 2, "\(scenario.name) must run with at least two seeds")
        #expect(!scenario.assertions.isEmpty, "\(scenario.name) has no assertions")
        for seed in scenario.seeds {
            let report = try await offPool {
                var simulation = Simulation(scenario: scenario, seed: seed)
                return simulation.run()
            }
            for check in report.checks where !check.passed {
                Issue.record("\(scenario.name) seed \(seed): \(check.assertion) failed, actual \(check.actual.map { "\($0)" } ?? "no such metric")")
            }
        }
    }
}
