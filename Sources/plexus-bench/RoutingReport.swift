import Foundation

/// `plexus-bench routing`'s report: the machine, each measured figure beside the raw limit of its
/// building block from the same run, the NATS reference, and what the CPU figures say about
/// where the time went. A section that failed is reported, not fatal.
struct RoutingReport: Sendable {
    var machine: MachineInfo
    var plexusBinary: String
    var settings: String
    var figures: [BenchFigure] = []
    var failures: [(section: String, message: String)] = []
    /// Paragraphs printed after the table: the bottleneck analysis and anything odd seen.
    var findings: [String] = []

    static let linkSection = "1. Raw limit: one mutual-TLS peer link, no forwarding logic"
    static let forwardingSection = "2. Forwarding n1 → n2 over mTLS (agent session on n2)"
    static let latencySection = "3. Latency n1 → n2 → n3 (two forwarding hops, agent session on n3)"
    static let natsSection = "4. NATS reference, same run (leaf nodes A → hub B → C)"
    static let jetStreamSection = "5. JetStream reference, same run (one server, file storage, each publish acknowledged)"

    mutating func add(link results: [RoutingLinkBench.Result]) {
        for r in results {
            figures.append(BenchFigure(Self.linkSection, r.name, r.framesPerSecond, "frames/s",
                                       note: "\(BenchFigure.format(r.megabytesPerSecond)) MB/s over \(BenchFigure.format(r.seconds)) s"))
        }
    }

    mutating func add(store r: RoutingStoreBench.Result, bench: RoutingStoreBench) {
        figures.append(BenchFigure(
            Self.linkSection, "the store alone: a hop's log + outbox rows, group-committed, then released", r.messagesPerSecond, "msgs/s",
            note: "SQLiteMessageStore in this process, synchronous full, \(bench.appenders) appenders × \(bench.batch) records per append, "
                + "\(String(format: "%.1f", r.seconds)) s: the ceiling the log puts on one node's forwarding here"))
    }

    mutating func add(journal results: [RoutingJournalBench.Result]) {
        for r in results {
            figures.append(BenchFigure(
                Self.linkSection, "\(r.name) alone, \(r.group) records per commit", r.messagesPerSecond, "msgs/s",
                note: String(format: "%.2f µs CPU per message; one appender, %d relay records of this run's message, fsynced per commit", r.cpuMicrosecondsPerMessage, r.messages)
                    + (r.name == "SQLite log" ? " (log, subject and outbox rows)" : " (length, checksum, wire JSON; write + fdatasync): the floor for a redesigned log")))
        }
    }

    mutating func add(core phases: [RoutingCoreBench.Phase]) {
        for (i, p) in phases.enumerated() {
            figures.append(BenchFigure(
                Self.linkSection, "routing core alone, \(p.name)", p.messagesPerSecond, "msgs/s",
                note: String(format: "%.2f µs per message (originate + persisted), one thread, no I/O", p.microsecondsPerMessage)
                    + (i == 0 ? "; the mesh driver's one event loop does this for every message a node originates or delivers" : "")))
        }
    }

    mutating func add(relayValidation results: [RelayValidationBench.Result], envelopeBytes: Int) {
        for r in results {
            figures.append(BenchFigure(
                Self.linkSection, "relay validation, \(r.name)", r.microseconds, "µs",
                note: "per \(envelopeBytes)-byte envelope: checked, own hop added, wire JSON made; one thread, no I/O"))
        }
    }

    mutating func add(hop phases: [RoutingHopBench.Phase]) {
        for p in phases {
            figures.append(BenchFigure(
                Self.linkSection, "routing cores alone, \(p.name)", p.messagesPerSecond, "msgs/s",
                note: String(format: "n1 (originate, persisted, acked, timers) %.2f µs + n2 (receive, persisted) %.2f µs per message, one thread, no I/O; %d timer firings for %d messages",
                             p.originMicroseconds, p.receiverMicroseconds, p.timersFired, p.messages)))
        }
    }

    mutating func add(forwarding: RoutingThroughputBench.Run, ingestOnly: RoutingThroughputBench.Run, load: String) {
        let s = Self.forwardingSection
        let f = forwarding
        figures.append(BenchFigure(
            s, "delivered to the agent on n2", f.deliveredPerSecond, "msgs/s", target: .atLeast(100_000),
            note: "\(f.delivered) in \(BenchFigure.format(f.seconds)) s steady window; 1-s rates \(Self.range(f.secondRates)); \(load)"))
        figures.append(BenchFigure(
            s, "n1 ingest accepted meanwhile", f.acceptedPerSecond, "msgs/s",
            note: "after the load: \(f.totalAccepted) accepted, \(f.totalDelivered) delivered"
                + (f.totalDelivered == f.totalAccepted ? " (all)" : " — \(f.totalAccepted - f.totalDelivered) missing")
                + (f.refused > 0 ? "; \(f.refused) refused: \(f.firstRefusal ?? "")" : "; none refused")))
        let i = ingestOnly
        figures.append(BenchFigure(
            s, "ingest limit: n1 alone (agent on n1, no hop)", i.deliveredPerSecond, "msgs/s",
            note: "same load, same processes; accepted \(BenchFigure.format(i.acceptedPerSecond)) msgs/s; 1-s rates \(Self.range(i.secondRates)); "
                + "after the load \(i.totalAccepted) accepted, \(i.totalDelivered) delivered"
                + (i.refused > 0 ? "; \(i.refused) refused" : "")))
        if i.deliveredPerSecond > 0 {
            figures.append(BenchFigure(s, "forwarded rate / ingest-alone rate", 100 * f.deliveredPerSecond / i.deliveredPerSecond, "%"))
        }
        let n1 = f.counters["n1"] ?? RoutingNodeCounters(.null)
        let n2 = f.counters["n2"] ?? RoutingNodeCounters(.null)
        figures.append(BenchFigure(s, "n1 retransmissions in the window", Double(n1["retransmissions"]), "msgs",
                                   note: "n1 /v1/routes over the window: \(n1.summary())"))
        figures.append(BenchFigure(s, "n1 ack timeouts in the window", Double(n1["ack_timeouts"]), "msgs",
                                   note: "n2 /v1/routes over the window: \(n2.summary())"))
        figures.append(BenchFigure(s, "CPU while forwarding: n1 / n2 / bench", 0, "cores",
                                   note: Self.cores(f.cores, ["n1", "n2", "bench"])))
        figures.append(BenchFigure(s, "CPU while ingesting alone: n1 / n2 / bench", 0, "cores",
                                   note: Self.cores(i.cores, ["n1", "n2", "bench"])))
        for frame in f.unexpectedFrames + i.unexpectedFrames { findings.append("unexpected session frame: \(frame)") }
    }

    /// `target`: whether this rate is the one the issue's p99 target is stated at.
    mutating func add(latency r: RoutingLatencyBench.Result, target: Bool) {
        let s = Self.latencySection
        let note = "\(r.received) of \(r.sent) received at \(r.rate) msgs/s for \(BenchFigure.format(r.seconds)) s "
            + "(published in \(BenchFigure.format(r.publishSeconds)) s, \(r.frames) WebSocket frames; the last arrived \(BenchFigure.format(r.drainSeconds)) s later), \(r.duplicates) duplicates, \(r.outOfOrder) out of order, "
            + "\(r.refusedFrames) frames refused\(r.firstRefusal.map { " (\($0))" } ?? ""); path \(r.path.joined(separator: " → ")); "
            + "one-way, the publisher's and the agent's monotonic clock (same process)"
        if let stats = r.stats {
            figures.append(BenchFigure(s, "latency p50 @ \(r.rate) msgs/s", stats.p50, "ms", note: note))
            figures.append(BenchFigure(s, "latency p99 @ \(r.rate) msgs/s", stats.p99, "ms", target: target ? .below(5) : nil))
            figures.append(BenchFigure(s, "latency max @ \(r.rate) msgs/s", stats.max, "ms"))
        } else {
            figures.append(BenchFigure(s, "latency: nothing received", 0, "msgs", note: note))
        }
        figures.append(BenchFigure(s, "not received @ \(r.rate) msgs/s", Double(r.lost), "msgs",
                                   note: r.lost > 0 ? "still held in an outbox when the wait ended (see the outbox counts below)" : nil))
        for (name, stats) in r.segments {
            figures.append(BenchFigure(s, "@ \(r.rate): segment \(name) p50", stats.p50, "ms",
                                       note: "p99 \(BenchFigure.format(stats.p99)) ms, max \(BenchFigure.format(stats.max)) ms (\(stats.count) sampled messages, wall clock)"))
        }
        let counters = Self.latencyNodes.compactMap { name in r.counters[name].map { "\(name): \($0.summary(["transmissions", "retransmissions", "ack_timeouts", "ack_waits_extended", "failovers", "failed_over_in_flight", "lost_transmissions", "duplicates", "delivered"]))" } }
        figures.append(BenchFigure(s, "@ \(r.rate): retransmissions n1 + n2", Double(Self.latencyNodes.reduce(0) { $0 + (r.counters[$1]?["retransmissions"] ?? 0) }), "msgs",
                                   note: counters.joined(separator: "; ")))
        figures.append(BenchFigure(s, "@ \(r.rate): CPU n1 / n2 / n3 / bench", 0, "cores", note: Self.cores(r.cores, ["n1", "n2", "n3", "bench"])))
        if !r.runQueueWait.isEmpty {
            let waits = Self.latencyNodes.compactMap { name in r.runQueueWait[name].map { String(format: "%@ %.2f", name, $0) } }
            let total = Self.latencyNodes.compactMap { r.runQueueWait[$0] }.reduce(0, +)
            figures.append(BenchFigure(s, "@ \(r.rate): waiting for a CPU n1 + n2 + n3", total, "s/s",
                                       note: waits.joined(separator: ", ") + " seconds per second: the nodes' threads runnable but queued for a core (schedstat)"))
        }
        let window = r.windowSeconds
        for name in Self.latencyNodes {
            guard let writer = r.logWriters[name] else { continue }
            figures.append(BenchFigure(s, "@ \(r.rate): log commits \(name)", Double(writer.commits) / max(window, 1e-9), "commits/s",
                                       note: writer.summary(seconds: window)))
        }
    }

    /// The durable chain at one of the latency section's rates: the raw limit beside its p99.
    mutating func add(durableChain r: RoutingDurableChainBench.Result) {
        let s = Self.latencySection
        guard let stats = r.stats else {
            figures.append(BenchFigure(s, "raw limit: durable 3-hop chain @ \(r.rate): nothing received", 0, "msgs"))
            return
        }
        figures.append(BenchFigure(
            s, "raw limit: durable \(r.hops)-hop chain p50 / p99 @ \(r.rate) msgs/s", stats.p99, "ms (p99)",
            note: String(format: "p50 %.3f ms, max %.3f ms; %d of %d received in %.1f s; %.1f records per fdatasync; %.2f cores. ",
                         stats.p50, stats.max, r.received, r.sent, r.seconds, Double(r.received * r.hops) / Double(max(r.syncs, 1)), r.cores)
                + "Threads in the bench joined by TCP loopback, each hop appends what arrived to its own file and fdatasyncs before passing it on: no TLS, parsing, routing or index"))
    }

    static let latencyNodes = ["n1", "n2", "n3"]

    mutating func add(nats: NATSClusterFigures) {
        figures += nats.figures(section: Self.natsSection)
    }

    mutating func add(storeNormal r: RoutingStoreBench.Result, bench: RoutingStoreBench) {
        figures.append(BenchFigure(
            Self.jetStreamSection, "Plexus's store alone, synchronous normal (written, not fsynced: JetStream's ack)", r.messagesPerSecond, "msgs/s",
            note: "SQLiteMessageStore in this process, \(bench.appenders) appenders × \(bench.batch) records per append, "
                + "\(String(format: "%.1f", r.seconds)) s: a hop's log + outbox rows, as in section 1 but without the fsync"))
    }

    mutating func add(jetStream r: JetStreamBench.Result, bench: JetStreamBench) {
        let cpu = r.serverCPUSeconds.map { String(format: "; nats-server CPU %.1f µs per message", $0 / Double(max(r.messages, 1)) * 1e6) } ?? ""
        figures.append(BenchFigure(
            Self.jetStreamSection, "acknowledged publishes, \(r.payloadBytes)-byte messages (the envelope's wire size)", r.messagesPerSecond, "msgs/s",
            note: "\(r.version), one client, at most \(bench.window) unacknowledged, \(r.messages) in \(BenchFigure.format(r.seconds)) s"
                + (r.errors > 0 ? ", \(r.errors) errors (first: \(r.firstError ?? "?"))" : "") + cpu
                + "; acked once in the file store, which nats-server fsyncs every 2 min by default (Plexus: an fsync per group commit before the ack)"))
    }

    static func range(_ rates: [Double]) -> String {
        guard let low = rates.min(), let high = rates.max() else { return "-" }
        return "\(BenchFigure.format(low))–\(BenchFigure.format(high))"
    }

    /// "n1 0.58, n2 0.50, bench 0.03; together 1.11 — machine busy 1.15 of 2 cores".
    static func cores(_ cores: [String: Double], _ order: [String]) -> String {
        let parts = order.map { name in cores[name].map { String(format: "%@ %.2f", name, $0) } ?? "\(name) -" }
        let total = order.compactMap { cores[$0] }.reduce(0, +)
        let machine = cores["machine"].map { String(format: " — machine busy %.2f", $0) } ?? ""
        return parts.joined(separator: ", ") + String(format: "; together %.2f%@ of %d cores", total, machine, ProcessInfo.processInfo.activeProcessorCount)
    }

    func table() -> String {
        var out: [String] = []
        out.append("plexus-bench routing — \(machine.date)")
        out.append("command:  \(machine.command)")
        out.append("machine:  \(machine.summary)")
        if let fsync = machine.fsyncMilliseconds {
            out.append("disk:     16 KiB append+fdatasync p50 \(BenchFigure.format(fsync)) ms in the temp dir")
        }
        out.append("load avg: \(machine.loadAverage) at start, \(MachineInfo.loadAverage()) at end (1/5/15 min; other work on the cores skews figures)")
        out.append("nodes:    \(plexusBinary) (node run processes, mutual TLS between them, log_level warning)")
        out.append("settings: \(settings)")
        // Rows without a value of their own (CPU) carry it in the note.
        func format(_ row: BenchFigure) -> String {
            if row.unit == "cores" { return "" }
            return row.unit == "msgs" ? String(Int(row.value)) : BenchFigure.format(row.value)
        }
        let nameWidth = max(30, figures.map(\.name.count).max() ?? 0)
        let valueWidth = max(10, figures.map { format($0).count }.max() ?? 0)
        var section = ""
        for figure in figures {
            if figure.section != section {
                section = figure.section
                out.append("")
                out.append(section)
            }
            let met = figure.met.map { $0 ? "met" : "MISSED" } ?? ""
            let target = figure.target.map { "target \($0.text)" } ?? ""
            let value = format(figure)
            var row = "  " + figure.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: max(0, valueWidth - value.count)) + value + "  "
                + (figure.unit == "cores" ? "" : figure.unit).padding(toLength: 9, withPad: " ", startingAt: 0)
                + "  " + target.padding(toLength: 16, withPad: " ", startingAt: 0) + "  " + met
            while row.last == " " { row.removeLast() }
            out.append(row)
            if let note = figure.note { out.append("      " + note) }
        }
        if !failures.isEmpty {
            out.append("")
            out.append("FAILED SECTIONS")
            for failure in failures { out.append("  \(failure.section): \(failure.message)") }
        }
        if !findings.isEmpty {
            out.append("")
            out.append("Where the time goes")
            for finding in findings { out.append("  - " + finding) }
        }
        let judged = figures.compactMap(\.met)
        out.append("")
        out.append("targets: \(judged.filter { $0 }.count) of \(judged.count) met")
        return out.joined(separator: "\n")
    }
}
