import Foundation

/// What the routing run's figures say about where the time went, in sentences for the report:
/// forwarding against the raw link and against ingest alone, CPU of each process against the
/// machine's cores, and the latency segment that dominates the tail.
struct RoutingFindings: Sendable {
    var link: [RoutingLinkBench.Result]
    var core: [RoutingCoreBench.Phase]
    var hop: [RoutingHopBench.Phase] = []
    var store: RoutingStoreBench.Result?
    var forwarding: (forwarding: RoutingThroughputBench.Run, ingestOnly: RoutingThroughputBench.Run)?
    var latency: RoutingLatencyBench.Result?
    /// The durable chain at the latency section's first rate (`RoutingDurableChainBench`).
    var chain: RoutingDurableChainBench.Result?

    private var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    func lines() -> [String] {
        var out: [String] = []
        if let first = core.first, let full = core.last, core.count > 1 {
            let held = core.dropFirst().dropLast().map { String(format: "%.1f µs with %@ held", $0.microsecondsPerMessage, BenchFigure.format(Double($0.outbox))) }
            out.append(String(format: "The routing core costs %.1f µs per message with %@ held, %@; "
                + "%.1f µs once its de-duplication memory is full (originate and persisted only, no route).",
                first.microsecondsPerMessage, BenchFigure.format(Double(first.outbox)), held.joined(separator: ", "),
                full.microsecondsPerMessage))
        }
        if let worst = hop.max(by: { $0.originMicroseconds < $1.originMicroseconds }) {
            out.append(String(format: "A forwarded hop costs the routing cores %.1f µs at n1 and %.1f µs at n2 per message (%@), "
                + "with warm caches; in a running node the same tables are cold after each read, parse and commit, "
                + "so a profile of the node is the measure of its share there (docs/benchmarks.md).",
                worst.originMicroseconds, worst.receiverMicroseconds, worst.name))
        }
        if let store, store.messagesPerSecond > 0, let (f, _) = forwarding {
            out.append(String(format: "The log alone takes %@ msgs/s of a hop's rows here (synchronous full); forwarding reached %.0f%% of it. "
                + "No node forwards faster than its log commits: a target above this figure needs a faster disk or weaker durability, not a faster hop.",
                BenchFigure.format(store.messagesPerSecond), 100 * f.deliveredPerSecond / store.messagesPerSecond))
        }
        if let (f, i) = forwarding {
            let rate = f.deliveredPerSecond
            if let frames = link.last, frames.framesPerSecond > 0 {
                out.append(String(format: "Forwarding delivered %@ msgs/s, %.1f%% of what the bare link carries as data frames (%@ frames/s): the link is not the bound.",
                                  BenchFigure.format(rate), 100 * rate / frames.framesPerSecond, BenchFigure.format(frames.framesPerSecond)))
            }
            if i.deliveredPerSecond > 0 {
                let ratio = rate / i.deliveredPerSecond
                if ratio >= 0.85 {
                    out.append(String(format: "Forwarding runs at %.0f%% of n1's ingest alone: the origin's ingest (parse, log commit) sets the pace, not the hop.", 100 * ratio))
                } else {
                    out.append(String(format: "Forwarding runs at %.0f%% of n1's ingest alone (%@ msgs/s): the hop costs more than the ingest it follows.",
                                      100 * ratio, BenchFigure.format(i.deliveredPerSecond)))
                }
            }
            let n1 = f.cores["n1"] ?? 0, n2 = f.cores["n2"] ?? 0, bench = f.cores["bench"] ?? 0
            let ours = n1 + n2 + bench
            let machine = f.cores["machine"] ?? ours
            var cpu = String(format: "While forwarding, n1 used %.2f cores, n2 %.2f, the load and agent clients %.2f: %.2f; the machine was busy %.2f of %d cores",
                             n1, n2, bench, ours, machine, cores)
            if machine - ours > 0.2 { cpu += String(format: " (%.2f cores went to other processes)", machine - ours) }
            cpu += machine >= 0.9 * Double(cores)
                ? " — CPU-saturated, so the figure is what the processes got of the cores between them, not a per-link ceiling."
                : " — not CPU-saturated: the pace is set by waiting (commits, acks, windows), not by the cores."
            if rate > 0 {
                cpu += String(format: " Per message: n1 %.1f µs, n2 %.1f µs of CPU.", 1e6 * n1 / rate, 1e6 * n2 / rate)
            }
            out.append(cpu)
            if i.deliveredPerSecond > 0, let n1Alone = i.cores["n1"] {
                out.append(String(format: "Ingest alone: n1 %.2f cores, %.1f µs of CPU per message (parse, log, deliver to a local agent).",
                                  n1Alone, 1e6 * n1Alone / i.deliveredPerSecond))
            }
            let retrans = f.counters["n1"]?["retransmissions"] ?? 0, timeouts = f.counters["n1"]?["ack_timeouts"] ?? 0
            if retrans > 0 || timeouts > 0 {
                out.append("n1 retransmitted \(retrans) messages (\(timeouts) ack timeouts) during the forwarding window: acks from n2 came later than the ack timeout under load.")
            }
        }
        if let l = latency, let stats = l.stats {
            if let worst = l.segments.max(by: { $0.stats.p99 < $1.stats.p99 }) {
                out.append(String(format: "Latency p99 %@ ms at %d msgs/s; the slowest segment at p99 is %@ (p50 %@, p99 %@ ms).",
                                  BenchFigure.format(stats.p99), l.rate, worst.name, BenchFigure.format(worst.stats.p50), BenchFigure.format(worst.stats.p99)))
            }
            let total = ["n1", "n2", "n3", "bench"].compactMap { l.cores[$0] }.reduce(0, +)
            out.append(String(format: "At %d msgs/s the processes used %.2f cores, the machine was busy %.2f of %d (%@).", l.rate, total,
                              l.cores["machine"] ?? total, cores,
                              ["n1", "n2", "n3", "bench"].map { String(format: "%@ %.2f", $0, l.cores[$0] ?? 0) }.joined(separator: ", ")))
            if let chain, chain.rate == l.rate, let bare = chain.stats {
                out.append(String(format: "Three durable hops with nothing else on them (the chain above) took p99 %@ ms at this rate and %.2f cores: "
                    + "in this run the disk and the scheduler %@ a p99 under 5 ms (it moves from run to run; `--only chain` samples it). "
                    + "Plexus's path took p99 %@ ms with %.2f cores, %.0f µs of CPU per message "
                    + "against the chain's %.0f µs; the difference is TLS, parsing, routing, the log's index and the hand-offs between them.",
                    BenchFigure.format(bare.p99), chain.cores, bare.p99 < 5 ? "allowed" : "did not allow", BenchFigure.format(stats.p99), total,
                    1e6 * total / Double(l.rate), 1e6 * chain.cores / Double(chain.rate)))
            }
        }
        return out
    }
}
