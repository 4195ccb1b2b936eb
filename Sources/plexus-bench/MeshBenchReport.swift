import Foundation

/// The printed result of `plexus-bench mesh`: the machine, one side-by-side table per cluster
/// size (every repeat and the median), then peer-link throughput.
struct MeshBenchReport: Sendable {
    var machine: MachineInfo
    var options: MeshBenchSeries.Options
    var series: [MeshBenchSeries] = []
    var throughput: [TLSThroughputBench.Result] = []
    var throughputError: String?
    var plexusBinary: String
    var serfVersion: String?

    func table() -> String {
        var out: [String] = []
        out.append("Plexus vs Serf membership benchmark — \(machine.date)")
        out.append("command:  \(machine.command)")
        out.append("machine:  \(machine.summary); "
            + "load avg \(machine.loadAverage) at start, \(MachineInfo.loadAverage()) at end")
        out.append("systems:  Plexus \(plexusBinary) (mesh profile lan); Serf \(serfVersion ?? "not run") (default LAN profile)")
        let poll = String(format: "%.0f", options.pollInterval.milliseconds)
        out.append("method:   each node's own view polled every \(poll) ms (Plexus GET /v1/mesh, Serf RPC `members`); a mark is the return")
        out.append("          of the first poll that showed it. Fresh cluster per repeat (\(options.repeats)). Join: N → N+1, timed from the new")
        out.append("          process's start. Failure: kill -9 of n2 in those N+1 nodes, N survivors. Idle: first cluster only, N nodes,")
        out.append("          \(String(format: "%.0f", options.idleSettle.seconds)) s quiet, then \(String(format: "%.0f", options.idleWindow.seconds)) s of "
            + "IP packets to/from the membership ports (IPv4+TCP/UDP headers included, each packet once).")
        for size in orderedSizes {
            out.append("")
            out.append(contentsOf: sizeTable(size))
        }
        guard !throughput.isEmpty || throughputError != nil else { return out.joined(separator: "\n") }
        out.append("")
        out.append("Peer link over mutual TLS 1.3 (ALPN plexus/1, loopback, client and server one event loop thread each)")
        if let throughputError { out.append("  FAILED: \(throughputError)") }
        for result in throughput {
            var line = "  " + pad(result.name, 52) + pad(BenchFigure.format(result.megabytesPerSecond), 8, right: true) + " MB/s"
            if let fps = result.framesPerSecond { line += "  " + pad(BenchFigure.format(fps), 9, right: true) + " frames/s" }
            line += "   (\(BenchFigure.format(Double(result.bytes) / 1e6)) MB in \(String(format: "%.2f", result.seconds)) s)"
            out.append(line)
        }
        if let raw = throughput.first(where: { $0.frames == nil }) {
            for framed in throughput where framed.frames != nil {
                out.append("  \(framed.name): \(String(format: "%.0f", 100 * framed.megabytesPerSecond / raw.megabytesPerSecond))% of raw TLS")
            }
            out.append("  frames: the client encodes each frame (PeerFrame.encoded()), the server runs PeerFrameDecoder feed/next(), "
                + "which decodes every entry (MeshCodec); MB = 10^6 bytes of application data.")
        }
        return out.joined(separator: "\n")
    }

    private var orderedSizes: [Int] {
        var seen: [Int] = []
        for s in series where !seen.contains(s.size) { seen.append(s.size) }
        return seen
    }

    private func sizeTable(_ size: Int) -> [String] {
        let columns = series.filter { $0.size == size }
        var out = ["Membership, N = \(size)"]
        typealias Row = (String, (MeshBenchSeries) -> String)
        let rows: [Row] = [
            ("join: start → new node answers (ms)", { cell($0.joins.map { $0.ready.milliseconds }) }),
            ("join: start → first node sees it alive (ms)", { cell($0.joins.map { $0.firstSeen.milliseconds }) }),
            ("join: start → all N+1 agree (ms)", { cell($0.joins.map { $0.allSeen.milliseconds }) }),
            ("failure: kill → first suspects (s)", { s in
                s.system == "Serf" && s.skipped == nil ? "n/a (Serf does not expose suspect)" : cell(s.failures.map { $0.firstNoticed.seconds }, seconds: true)
            }),
            ("failure: kill → first dead/failed (s)", { cell($0.failures.map { $0.firstDead.seconds }, seconds: true) }),
            ("failure: kill → all N dead/failed (s)", { cell($0.failures.map { $0.allDead.seconds }, seconds: true) }),
            ("observer: bench CPU while polling (cores)", { s in
                s.pollerCores.isEmpty ? "-" : s.pollerCores.map { String(format: "%.2f", $0) }.joined(separator: ", ")
            }),
            ("idle: bytes/s per node (IP+L4 headers)", { s in s.idle.map { BenchFigure.format($0.bytesPerNodeSecond) } ?? "-" }),
            ("idle: packets/s per node", { s in s.idle.map { BenchFigure.format($0.packetsPerNodeSecond) } ?? "-" }),
            ("idle: CPU per node (% of one core)", { s in s.idle.map { String(format: "%.2f", $0.cpuPercentPerNode) } ?? "-" }),
            ("idle: RSS per node (MiB)", { s in s.idle.map { String(format: "%.1f", $0.residentMiBPerNode) } ?? "-" }),
            ("idle: TCP / UDP share of bytes", { s in
                s.idle.map { String(format: "%.0f%% / %.0f%%", 100 * $0.tcpShare, 100 - 100 * $0.tcpShare) } ?? "-"
            }),
        ]
        let nameWidth = rows.map(\.0.count).max() ?? 30
        let cells = rows.map { row in columns.map { column in column.skipped == nil ? row.1(column) : "skipped" } }
        let widths = columns.indices.map { i in max(columns[i].system.count, cells.map { $0[i].count }.max() ?? 0) + 3 }
        for (name, values) in [("metric", columns.map(\.system))] + zip(rows.map(\.0), cells).map({ ($0, $1) }) {
            var line = "  " + pad(name, nameWidth) + "  " + zip(values, widths).map { pad($0, $1) }.joined()
            while line.last == " " { line.removeLast() }
            out.append(line)
        }
        for column in columns {
            if let skipped = column.skipped { out.append("  \(column.system): skipped — \(skipped)") }
            if let idle = column.idle {
                out.append("  \(column.system) idle: \(idle.nodes) nodes, \(idle.method.rawValue), \(idle.count.bytes) bytes / \(idle.count.packets) packets "
                    + "in \(String(format: "%.1f", idle.count.seconds)) s (TCP \(idle.count.tcpBytes) B, UDP \(idle.count.udpBytes) B)"
                    + (idle.count.dropped > 0 ? ", \(idle.count.dropped) packets DROPPED by the capture" : ""))
            }
            for error in column.errors { out.append("  \(column.system) FAILED: \(error)") }
        }
        return out
    }

    /// "r1, r2, r3 (median m)" — each repeat, then the median.
    private func cell(_ values: [Double], seconds: Bool = false) -> String {
        guard !values.isEmpty else { return "-" }
        func f(_ v: Double) -> String { seconds ? String(format: "%.2f", v) : String(format: "%.0f", v) }
        return values.map(f).joined(separator: ", ") + " (med " + f(Self.median(values)) + ")"
    }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
