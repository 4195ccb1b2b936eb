import Foundation

/// What `NATSClusterBench` measured, for `plexus-bench nats-cluster` or for printing beside
/// Plexus's own forwarding figures (`figures(section:)` gives `BenchFigure` rows).
struct NATSClusterFigures: Sendable {
    struct Throughput: Sendable {
        var published: Int
        var received: Int
        /// From the first write to the last byte handed to the kernel on A's connection.
        var publishSeconds: Double
        /// From the first write to the last message received on C's connection.
        var receiveSeconds: Double
        /// The bound on messages published but not yet received (0: none), and how often and how
        /// long the publisher waited for it: waits mean delivery to C, not A's intake, set the pace.
        var window: Int
        var windowWaits: Int
        var windowWaitSeconds: Double

        var lost: Int { published - received }
        var receivedPerSecond: Double { receiveSeconds > 0 ? Double(received) / receiveSeconds : 0 }
        var publishedPerSecond: Double { publishSeconds > 0 ? Double(published) / publishSeconds : 0 }
    }

    struct Latency: Sendable {
        var rate: Int
        var seconds: Double
        var sent: Int
        /// Distinct messages received (duplicates are counted apart).
        var received: Int
        var duplicates: Int
        var outOfOrder: Int
        /// One-way, publisher write on A to subscriber read on C, in milliseconds; nil if nothing arrived.
        var stats: LatencyStats?

        var lost: Int { sent - received }
    }

    /// Whether the middle server (B) forwarded the measured messages, by its own `/varz`
    /// counters over the latency and throughput phases: each message crossing it counts once in
    /// (from A) and once out (to C). Routed, B is bypassed and counts next to nothing.
    struct MiddleCheck: Sendable {
        var server: String
        var sent: Int
        var inMsgs: Int
        var outMsgs: Int

        var forwarded: Bool { inMsgs >= sent && outMsgs >= sent }
    }

    var serverVersion: String
    var shape: NATSServerCluster.Shape
    var servers: [String]
    var publisherServer = ""
    var subscriberServer = ""
    /// Routes and leaf connections as each server reported them once the first probe had
    /// crossed, and after the run.
    var linksAtStart: [NATSServerCluster.Link]
    var linksAtEnd: [NATSServerCluster.Link]
    var middle: MiddleCheck
    /// From launching the first server until a probe published on A reached C.
    var routeUpSeconds: Double
    var payloadBytes: Int
    var throughput: Throughput
    var latency: Latency
    var malformedMessages: Int
    var slowConsumerLogLines: [String]

    /// Whether publisher's and subscriber's servers route to each other directly (learnt by
    /// gossip when the configuration is a chain): then a message crosses one route, not two.
    var directRoute: Bool {
        linksAtStart.contains { $0.from == publisherServer && $0.to == subscriberServer }
            || linksAtStart.contains { $0.from == subscriberServer && $0.to == publisherServer }
    }

    /// B's counters against what was sent, in a phrase.
    var middleNote: String {
        "\(middle.server) counted \(middle.inMsgs) in / \(middle.outMsgs) out during the run, "
            + "\(middle.forwarded ? "≥" : "NOT ≥") the \(middle.sent) sent"
    }

    /// The shape in one line, for a note under a comparison table.
    var shapeNote: String {
        let pubSub = "pub on \(publisherServer), sub on \(subscriberServer)"
        switch shape {
        case .routes:
            let path = directRoute
                ? "\(publisherServer)→\(subscriberServer) direct (route learnt by gossip; NATS forwards one route hop only)"
                : "\(publisherServer)→\(subscriberServer) without a direct route"
            return "shape routes: \(servers.count) nats-servers configured as a chain \(servers.joined(separator: "–")), \(pubSub); \(path)"
        case .leafnodes:
            let leaves = servers.filter { $0 != middle.server }.joined(separator: ", ")
            return "shape leafnodes: hub \(middle.server) with leaf nodes \(leaves), \(pubSub); "
                + "path \(publisherServer)→\(middle.server)→\(subscriberServer) (\(middleNote))"
        }
    }

    func figures(section: String = "NATS cluster reference") -> [BenchFigure] {
        var rows: [BenchFigure] = [
            BenchFigure(
                section, "throughput \(publisherServer)→\(subscriberServer), \(payloadBytes) B", throughput.receivedPerSecond, "msgs/s",
                note: "\(throughput.received) of \(throughput.published) received at \(subscriberServer) in \(BenchFigure.format(throughput.receiveSeconds)) s; "
                    + "publisher wrote \(BenchFigure.format(throughput.publishedPerSecond)) msgs/s"
                    + (throughput.window > 0
                        ? ", at most \(throughput.window) unreceived (waited \(throughput.windowWaits)× for \(BenchFigure.format(throughput.windowWaitSeconds)) s)"
                        : ", unbounded")
                    + "; \(shapeNote)"),
            BenchFigure(section, "throughput messages lost", Double(throughput.lost), "msgs"),
        ]
        let latencyNote = "\(latency.received) of \(latency.sent) received at \(BenchFigure.format(Double(latency.rate))) msgs/s for "
            + "\(BenchFigure.format(latency.seconds)) s, \(latency.duplicates) duplicates, \(latency.outOfOrder) out of order; one-way, same clock"
        if let stats = latency.stats {
            rows.append(BenchFigure(section, "latency p50 @ \(latency.rate) msgs/s", stats.p50, "ms", note: latencyNote))
            rows.append(BenchFigure(section, "latency p99 @ \(latency.rate) msgs/s", stats.p99, "ms"))
            rows.append(BenchFigure(section, "latency max @ \(latency.rate) msgs/s", stats.max, "ms"))
        } else {
            rows.append(BenchFigure(section, "latency: nothing received", 0, "msgs", note: latencyNote))
        }
        rows.append(BenchFigure(section, "latency messages lost", Double(latency.lost), "msgs"))
        rows.append(BenchFigure(
            section, "\(middle.server) forwarded msgs (min of in, out)", Double(min(middle.inMsgs, middle.outMsgs)), "msgs",
            note: middleNote))
        rows.append(BenchFigure(section, "path up after launch", routeUpSeconds, "s"))
        return rows
    }

    /// The standalone report: version, shape, routes, then the figures.
    func table() -> String {
        var out = ["NATS cluster reference — \(serverVersion)", shapeNote]
        out.append("links once up:  " + linksAtStart.map(\.description).joined(separator: "; "))
        out.append("links at end:   " + linksAtEnd.map(\.description).joined(separator: "; "))
        let rows = figures()
        // Counts as integers: BenchFigure.format gives small values three decimals (for ms).
        func format(_ row: BenchFigure) -> String { row.unit == "msgs" ? String(Int(row.value)) : BenchFigure.format(row.value) }
        let nameWidth = rows.map(\.name.count).max() ?? 0
        let valueWidth = rows.map { format($0).count }.max() ?? 0
        out.append("")
        for row in rows {
            let name = row.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            let value = String(repeating: " ", count: valueWidth - format(row).count) + format(row)
            out.append("  \(name)  \(value)  \(row.unit)")
            if let note = row.note { out.append("      " + note) }
        }
        out.append("check \(middle.server) forwarded every message: \(middle.forwarded ? "yes" : "no")"
            + (shape == .routes ? " (expected no: routed, \(publisherServer) reaches \(subscriberServer) directly)" : ""))
        if malformedMessages > 0 { out.append("WARNING: \(malformedMessages) messages with an unexpected payload or sid") }
        out.append(slowConsumerLogLines.isEmpty
            ? "no \"Slow Consumer\" lines in the servers' logs"
            : "\"Slow Consumer\" in the servers' logs:\n" + slowConsumerLogLines.prefix(10).map { "  " + $0 }.joined(separator: "\n"))
        return out.joined(separator: "\n")
    }
}
