import PlexusCore

/// The outcome of one simulation run: figures by name, assertion verdicts, and the trace hash
/// that proves a rerun with the same seed did exactly the same thing.
public struct SimReport: Sendable {
    public struct Check: Sendable {
        public var assertion: Scenario.Assertion
        /// nil when the scenario names a metric the simulator does not produce.
        public var actual: Double?
        public var passed: Bool
    }

    public var scenario: String
    public var seed: UInt64
    public var nodes: Int
    public var simulatedSeconds: Double
    public var wallSeconds: Double
    public var events: Int
    public var traceHash: UInt64
    /// Figures in a fixed order (see docs/simulations.md for each one's meaning).
    public var metrics: [(name: String, value: Double)]
    public var checks: [Check]
    /// Findings behind failing figures (the first lost messages and where they were last
    /// logged, dead-letter reasons, a pair of nodes whose routes still disagree).
    public var notes: [String] = []
    /// The custody trail of the message given to `Simulation(…traceMessage:)`.
    public var trace: [String] = []

    public var passed: Bool { checks.allSatisfy(\.passed) }

    public func metric(_ name: String) -> Double? { metrics.first { $0.name == name }?.value }

    /// Simulated seconds per wall-clock second.
    public var speed: Double { wallSeconds > 0 ? simulatedSeconds / wallSeconds : 0 }

    public var text: String {
        var lines = ["scenario \(scenario)  seed \(seed)  nodes \(nodes)  simulated \(format(simulatedSeconds)) s"
            + "  wall \(format(wallSeconds)) s  (\(format(speed))× real time)  events \(events)  trace \(hex(traceHash))"]
        for (name, value) in metrics {
            lines.append("  " + name.padding(toLength: 28, withPad: " ", startingAt: 0) + format(value))
        }
        for check in checks {
            let actual = check.actual.map(format) ?? "no such metric"
            lines.append("  [\(check.passed ? "pass" : "FAIL")] \(check.assertion)  (actual \(actual))")
        }
        for note in notes { lines.append("  note: " + note) }
        if !trace.isEmpty {
            lines.append("  trace:")
            for line in trace { lines.append("    " + line) }
        }
        return lines.joined(separator: "\n")
    }

    public var json: JSONValue {
        var m = JSONObject()
        for (name, value) in metrics { m[name] = .double(value) }
        return [
            "scenario": .string(scenario), "seed": .integer(Int64(bitPattern: seed)), "nodes": .integer(Int64(nodes)),
            "simulated_seconds": .double(simulatedSeconds), "wall_seconds": .double(wallSeconds),
            "speed": .double(speed), "events": .integer(Int64(events)), "trace_hash": .string(hex(traceHash)),
            "metrics": .object(m), "passed": .bool(passed),
            "notes": .array(notes.map { .string($0) }), "trace": .array(trace.map { .string($0) }),
            "assertions": .array(checks.map { c in
                ["assertion": .string(c.assertion.description), "actual": c.actual.map(JSONValue.double) ?? .null, "passed": .bool(c.passed)]
            }),
        ]
    }

    /// A simulated instant in seconds with microseconds, for traces and notes.
    static func seconds(_ nanoseconds: Int64) -> String {
        let micros = nanoseconds / 1_000
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction + "s"
    }

    func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        let scaled = (v * 1000).rounded() / 1000
        return String(scaled)
    }

    func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
