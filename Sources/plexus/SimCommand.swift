import ArgumentParser
import Foundation
import PlexusCore
import PlexusSim
import PlexusSimFiles
import PlexusYAML

/// `plexus sim`: run a scenario in the deterministic simulator and print what happened.
struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run a simulation scenario (simulations/*.yaml) on the real mesh core and check its assertions.",
        discussion: """
            Each seed of the scenario runs once (or only --seed). The same seed always gives the same \
            trace hash. Exits with status 1 when an assertion fails. Formats: docs/simulations.md.
            """
    )

    @Argument(help: "The scenario file.")
    var scenario: String

    @Option(name: .long, help: "Run only this seed instead of the scenario's seeds.")
    var seed: UInt64?

    @Option(name: .long, help: "Resize the topology to this many nodes.")
    var nodes: Int?

    @Option(name: .long, help: "Override the scenario's duration (e.g. 600s, 100h).")
    var duration: String?

    @Option(name: .customLong("measure-from"), help: "Override when steady-state figures start (e.g. 1800s for a large mesh to warm up).")
    var measureFrom: String?

    @Option(name: .customLong("trace-message"), help: "Routing scenarios: add the custody trail of this message (its index, as the report's notes name it).")
    var traceMessage: Int?

    @Flag(name: .long, help: "Print the reports as JSON (one array).")
    var json = false

    func run() throws {
        var loaded: Scenario
        do {
            loaded = try ScenarioFile.load(path: scenario)
        } catch {
            throw ValidationError("\(scenario): \(error)")
        }
        if let nodes {
            guard nodes > 0 else { throw ValidationError("--nodes must be positive") }
            loaded.topology = loaded.topology.resized(to: nodes)
        }
        if let duration {
            guard let d = YAMLScalar.duration(duration), d > .zero else { throw ValidationError("--duration: cannot read '\(duration)' (use e.g. 90s, 10m, 2h)") }
            loaded.duration = d
        }
        if let measureFrom {
            guard let d = YAMLScalar.duration(measureFrom), d <= loaded.duration else {
                throw ValidationError("--measure-from: cannot read '\(measureFrom)' or it is past the end of the run")
            }
            loaded.measureFrom = d
        }
        let seeds = seed.map { [$0] } ?? loaded.seeds
        var reports: [SimReport] = []
        for s in seeds {
            var simulation = Simulation(scenario: loaded, seed: s, traceMessage: traceMessage)
            let report = simulation.run()
            reports.append(report)
            if !json {
                print(report.text)
                print("")
            }
        }
        if json {
            print(JSONValue.array(reports.map(\.json)).jsonString)
        }
        if reports.contains(where: { !$0.passed }) {
            throw ExitCode(1)
        }
    }
}
