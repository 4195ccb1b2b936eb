import PlexusCore

/// Everything one run found: the machine, the figures, and the sections that failed (a failed
/// section is reported, not fatal, so one broken step does not hide the other figures).
struct BenchReport: Sendable {
    var machine: MachineInfo
    var plan: BenchPlan
    var loadGenerator: String
    var figures: [BenchFigure] = []
    var failures: [(section: String, message: String)] = []

    /// The human-readable table: one block per section, a row per figure with its target and
    /// whether it is met, and the how-measured note under it.
    func table() -> String {
        var out: [String] = []
        out.append("Plexus benchmark — \(machine.date)")
        out.append("command:  \(machine.command)")
        out.append("machine:  \(machine.summary)")
        if let fsync = machine.fsyncMilliseconds {
            out.append("disk:     16 KiB append+fdatasync p50 \(BenchFigure.format(fsync)) ms in the temp dir (bounds synchronous=FULL commits to ~\(Int(1_000 / max(fsync, 0.001)))/s)")
        }
        out.append("load avg: \(machine.loadAverage) at start, \(Self.currentLoadAverage()) at end (1/5/15 min; other work on the 2 cores skews figures)")
        out.append("load:     \(loadGenerator)")
        out.append("plan:     \(plan.quick ? "quick" : "full"), query rows \(BenchFigure.format(Double(plan.queryRows))), wrk \(plan.wrkSeconds) s per run")
        let nameWidth = max(30, figures.map(\.name.count).max() ?? 0)
        let valueWidth = max(12, figures.map { BenchFigure.format($0.value).count }.max() ?? 0)
        var section = ""
        for figure in figures {
            if figure.section != section {
                section = figure.section
                out.append("")
                out.append(section)
            }
            let met = figure.met.map { $0 ? "met" : "MISSED" } ?? ""
            let target = figure.target.map { "target \($0.text)" } ?? ""
            let row = "  " + pad(figure.name, nameWidth) + "  " + pad(BenchFigure.format(figure.value), valueWidth, right: true)
                + "  " + pad(figure.unit, 12) + "  " + pad(target, 20) + "  " + met
            out.append(row.trimmingTrailingSpaces())
            if let note = figure.note { out.append("      " + note) }
        }
        if !failures.isEmpty {
            out.append("")
            out.append("FAILED SECTIONS")
            for failure in failures { out.append("  \(failure.section): \(failure.message)") }
        }
        let judged = figures.compactMap(\.met)
        out.append("")
        out.append("targets: \(judged.filter { $0 }.count) of \(judged.count) met")
        return out.joined(separator: "\n")
    }

    /// The same report as one JSON document (`--json`), for scripts that track figures over time.
    func json() -> JSONValue {
        var machineJSON: JSONObject = [
            "cores": .integer(Int64(machine.cores)),
            "cpu_model": .string(machine.cpuModel),
            "memory_mib": .integer(Int64(machine.memoryMiB)),
            "kernel": .string(machine.kernel),
        ]
        machineJSON["fsync_ms_p50"] = machine.fsyncMilliseconds.map { .double($0) } ?? .null
        machineJSON["load_average_start"] = .string(machine.loadAverage)
        machineJSON["load_average_end"] = .string(Self.currentLoadAverage())
        let rows: [JSONValue] = figures.map { figure in
            var row: JSONObject = [
                "section": .string(figure.section),
                "name": .string(figure.name),
                "value": .double(figure.value),
                "unit": .string(figure.unit),
            ]
            row["target"] = figure.target.map { .string($0.text) } ?? .null
            row["met"] = figure.met.map { .bool($0) } ?? .null
            row["note"] = figure.note.map { .string($0) } ?? .null
            return .object(row)
        }
        let failed: [JSONValue] = failures.map { .object(["section": .string($0.section), "message": .string($0.message)]) }
        return .object([
            "date": .string(machine.date),
            "command": .string(machine.command),
            "machine": .object(machineJSON),
            "plan": .object([
                "quick": .bool(plan.quick),
                "query_rows": .integer(Int64(plan.queryRows)),
                "wrk_seconds": .integer(Int64(plan.wrkSeconds)),
            ]),
            "load_generator": .string(loadGenerator),
            "figures": .array(rows),
            "failures": .array(failed),
        ])
    }

    static func currentLoadAverage() -> String { MachineInfo.loadAverage() }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}

private extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
