import ArgumentParser
import Foundation
import NIOPosix

/// `plexus-bench routing`: store-and-forward between real node processes, in one run, each figure
/// beside its limit — the raw throughput of one mutual-TLS peer link, node→node forwarding
/// throughput next to the origin's ingest alone, end-to-end latency over two forwarding hops at a
/// paced rate beside three bare durable hops at the same rate (`RoutingDurableChainBench`), and
/// the NATS reference (A→B→C through a hub) measured the same way.
///
/// Progress goes to stderr; the report to stdout.
struct RoutingBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Forwarding throughput and 3-node latency over mTLS, beside the raw link and NATS.",
        discussion: """
            Build first: swift build -c release --product plexus && swift build -c release --product plexus-bench
            (scripts/bench-routing.sh does both). Needs nats-server for the reference (apt-get install -y nats-server) \
            unless --skip-nats. Takes about 3 minutes.
            """
    )

    @Option(help: "The plexus binary (default: the plexus next to this program).")
    var plexus: String?

    @Option(help: "The nats-server binary (default: nats-server on PATH).")
    var natsServer: String?

    @Option(help: "Bytes of each message's data (serialised JSON).")
    var payloadBytes = 300

    @Option(help: "Throughput: WebSocket ingest connections into n1.")
    var connections = 4

    @Option(help: "Throughput: messages per ingest frame.")
    var batch = 200

    @Option(help: "Throughput: unacknowledged frames per connection.")
    var inFlight = 4

    @Option(help: "Throughput: most messages admitted at n1 and not yet delivered to the agent (0: unbounded).")
    var window = 50_000

    @Option(help: "Throughput: seconds of load before the measured window.")
    var warmup = 3

    @Option(help: "Throughput: seconds measured.")
    var seconds = 10

    @Option(help: "Latency: messages per second.")
    var latencyRate = 10_000

    @Option(help: "Latency: seconds published.")
    var latencySeconds = 10

    @Option(help: "Latency: a second, lighter rate (msgs/s) measured the same way for 5 s, to separate per-hop cost from queueing (0: skip).")
    var latencyLightRate = 1_000

    @Option(help: "Raw link: seconds per case.")
    var linkSeconds = 5

    @Option(help: "The nodes' store.synchronous (full or normal; default: the node's default, full).")
    var synchronous: String?

    @Option(help: "How the agent session takes its messages: single (one envelope per WebSocket frame) or batch (`?frames=batch`).")
    var agentFrames = "batch"

    @Flag(help: "Skip the NATS reference.")
    var skipNats = false

    @Flag(help: "Skip the raw link measurement.")
    var skipLink = false

    @Option(help: "Only these sections, comma-separated: core,link,forwarding,latency,chain,nats,jetstream.")
    var only: String?

    /// `chain` is the latency section's raw limit by itself (the durable chain, no nodes): it
    /// runs with `latency` anyway, and alone to sample how much the machine's own limit moves.
    static let sectionNames = ["core", "link", "forwarding", "latency", "chain", "nats", "jetstream"]

    var selected: [String] {
        only.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? Self.sectionNames
    }

    func validate() throws {
        if !(64...65_536).contains(payloadBytes) { throw ValidationError("--payload-bytes must be 64...65536") }
        if !(1...64).contains(connections) { throw ValidationError("--connections must be 1...64") }
        if !(1...5_000).contains(batch) { throw ValidationError("--batch must be 1...5000") }
        if !(1...256).contains(inFlight) { throw ValidationError("--in-flight must be 1...256 (the node reads ahead 256 frames)") }
        if window < 0 { throw ValidationError("--window must be ≥ 0") }
        if window > 0, window < batch * connections { throw ValidationError("--window must be at least --batch × --connections") }
        if !(0...120).contains(warmup) { throw ValidationError("--warmup must be 0...120") }
        if !(1...600).contains(seconds) { throw ValidationError("--seconds must be 1...600") }
        if !(1...1_000_000).contains(latencyRate) { throw ValidationError("--latency-rate must be 1...1000000") }
        if !(1...600).contains(latencySeconds) { throw ValidationError("--latency-seconds must be 1...600") }
        if !(0...1_000_000).contains(latencyLightRate) { throw ValidationError("--latency-light-rate must be 0...1000000") }
        if !(1...60).contains(linkSeconds) { throw ValidationError("--link-seconds must be 1...60") }
        if let synchronous, !["full", "normal"].contains(synchronous) { throw ValidationError("--synchronous must be full or normal") }
        if !["single", "batch"].contains(agentFrames) { throw ValidationError("--agent-frames must be single or batch") }
        for name in selected where !Self.sectionNames.contains(name) {
            throw ValidationError("unknown section \"\(name)\" in --only; known: \(Self.sectionNames.joined(separator: ","))")
        }
    }

    func run() async throws {
        MeshBenchReaper.installSignalHandlers()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        do {
            try await measure(group: group)
            MeshBenchReaper.killAll()
            try? await group.shutdownGracefully()
        } catch {
            MeshBenchReaper.killAll()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func measure(group: MultiThreadedEventLoopGroup) async throws {
        let binary = try plexus ?? IdleRSSBench.plexusBinary()
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw BenchError("\(binary) is not an executable") }
        let sections = selected.filter { !(skipNats && ($0 == "nats" || $0 == "jetstream")) && !(skipLink && $0 == "link") }
        let message = RoutingMessage(payloadBytes: payloadBytes)
        let progress: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        progress("machine info (load average \(MachineInfo.loadAverage()))")
        let envelope = try RoutingLinkBench.sampleEnvelope(message: message, subject: RoutingThroughputBench.remoteSubject)
        let load = "\(connections) WebSocket connections × \(batch) messages/frame, \(inFlight) frames in flight each, "
            + (window > 0 ? "at most \(window) admitted and not yet delivered" : "unbounded")
        var report = RoutingReport(
            machine: MachineInfo.collect(), plexusBinary: binary,
            settings: "data \(payloadBytes) B per message (envelope on the wire \(envelope.count) B); store synchronous \(synchronous ?? "full (default)"); agent frames \(agentFrames); "
                + "forwarding load: \(load), \(warmup) s warm-up + \(seconds) s measured; latency: \(latencyRate) msgs/s for \(latencySeconds) s"
                + (latencyLightRate > 0 ? ", then \(latencyLightRate) msgs/s for 5 s" : ""))

        /// A section that failed: in the report's failures and on stderr; the run goes on.
        func failed(_ section: String, _ error: any Error) {
            report.failures.append((section, "\(error)"))
            progress("  FAILED: \(error)")
        }

        var linkResults: [RoutingLinkBench.Result] = []
        if sections.contains("link") {
            progress("raw limit: one mTLS peer link, \(linkSeconds) s per case")
            do {
                linkResults = try await RoutingLinkBench(duration: .seconds(linkSeconds), envelope: envelope).run()
                report.add(link: linkResults)
                for r in linkResults { progress("  \(r.name): \(BenchFigure.format(r.framesPerSecond)) frames/s") }
            } catch {
                failed(RoutingReport.linkSection, error)
            }
        }

        var corePhases: [RoutingCoreBench.Phase] = []
        var hopPhases: [RoutingHopBench.Phase] = []
        if sections.contains("core") {
            progress("routing core alone (in this process, no I/O)")
            let bench = RoutingCoreBench(payload: envelope)
            corePhases = bench.run()
            report.add(core: corePhases)
            for p in corePhases { progress("  \(p.name): \(BenchFigure.format(p.microsecondsPerMessage)) µs per message") }
            do {
                let validation = try RelayValidationBench(envelope: envelope).run()
                report.add(relayValidation: validation, envelopeBytes: envelope.count)
                for r in validation { progress(String(format: "  relay validation, %@: %.2f µs per envelope", r.name, r.microseconds)) }
            } catch {
                failed(RoutingReport.linkSection + " (relay validation)", error)
            }
            do {
                hopPhases = try RoutingHopBench(payload: envelope).run()
                report.add(hop: hopPhases)
                for p in hopPhases {
                    progress(String(format: "  %@: n1 %.2f µs, n2 %.2f µs per message; %d timer firings", p.name, p.originMicroseconds, p.receiverMicroseconds, p.timersFired))
                }
            } catch {
                failed(RoutingReport.linkSection + " (routing cores of a hop)", error)
            }
        }

        var storeResult: RoutingStoreBench.Result?
        if sections.contains("link") {
            progress("the store alone (in this process)")
            let bench = RoutingStoreBench(message: message)
            do {
                let result = try await bench.run()
                storeResult = result
                report.add(store: result, bench: bench)
                progress("  \(BenchFigure.format(result.messagesPerSecond)) msgs/s")
            } catch {
                failed(RoutingReport.linkSection + " (store alone)", error)
            }
            progress("the log's append alone against an append-only journal (in this process)")
            do {
                let results = try await RoutingJournalBench(message: message).run()
                report.add(journal: results)
                for r in results {
                    progress(String(format: "  %@, %d per commit: %.0f msgs/s, %.2f µs CPU per message", r.name, r.group, r.messagesPerSecond, r.cpuMicrosecondsPerMessage))
                }
            } catch {
                failed(RoutingReport.linkSection + " (log against journal)", error)
            }
        }

        var forwarding: (forwarding: RoutingThroughputBench.Run, ingestOnly: RoutingThroughputBench.Run)?
        if sections.contains("forwarding") {
            var bench = RoutingThroughputBench(binary: binary, message: message)
            bench.connections = connections
            bench.perFrame = batch
            bench.inFlight = inFlight
            bench.window = window
            bench.warmup = .seconds(warmup)
            bench.measure = .seconds(seconds)
            bench.synchronous = synchronous
            bench.agentFrames = agentFrames
            bench.progress = progress
            do {
                let runs = try await bench.run(group: group)
                forwarding = runs
                report.add(forwarding: runs.forwarding, ingestOnly: runs.ingestOnly, load: load)
            } catch {
                failed(RoutingReport.forwardingSection, error)
            }
        }

        var latency: RoutingLatencyBench.Result?
        var chain: RoutingDurableChainBench.Result?
        if sections.contains("latency") || sections.contains("chain") {
            let rates = [(latencyRate, Duration.seconds(latencySeconds))] + (latencyLightRate > 0 ? [(latencyLightRate, Duration.seconds(5))] : [])
            for (index, (rate, duration)) in rates.enumerated() {
                progress("raw limit: a durable 3-hop chain with nothing of Plexus on it, \(rate) msgs/s for \(duration)")
                do {
                    let result = try await RoutingDurableChainBench(rate: rate, duration: duration, recordBytes: envelope.count).run()
                    if index == 0 { chain = result }
                    report.add(durableChain: result)
                    if let stats = result.stats {
                        progress("  p50 \(BenchFigure.format(stats.p50)) ms, p99 \(BenchFigure.format(stats.p99)) ms, max \(BenchFigure.format(stats.max)) ms")
                    }
                } catch {
                    failed(RoutingReport.latencySection + " (durable chain @ \(rate) msgs/s)", error)
                }
                guard sections.contains("latency") else { continue }
                var bench = RoutingLatencyBench(binary: binary, message: message)
                bench.rate = rate
                bench.duration = duration
                bench.synchronous = synchronous
                bench.agentFrames = agentFrames
                bench.progress = progress
                do {
                    let result = try await bench.run(group: group)
                    if index == 0 { latency = result }
                    report.add(latency: result, target: index == 0)
                    if let stats = result.stats {
                        progress("  p50 \(BenchFigure.format(stats.p50)) ms, p99 \(BenchFigure.format(stats.p99)) ms, max \(BenchFigure.format(stats.max)) ms")
                    }
                } catch {
                    failed(RoutingReport.latencySection + " @ \(rate) msgs/s", error)
                }
            }
        }

        if sections.contains("nats") {
            if let natsBinary = natsServer ?? CollectedProcess.which("nats-server") {
                var bench = NATSClusterBench(binary: natsBinary)
                bench.payloadBytes = payloadBytes
                bench.latencyRate = latencyRate
                bench.latencyDuration = .seconds(latencySeconds)
                bench.progress = progress
                do {
                    report.add(nats: try await bench.run())
                } catch {
                    failed(RoutingReport.natsSection, error)
                }
            } else {
                report.failures.append((RoutingReport.natsSection, "nats-server not found on PATH (apt-get install -y nats-server, or --nats-server PATH)"))
            }
        }

        if sections.contains("jetstream") {
            if let natsBinary = natsServer ?? CollectedProcess.which("nats-server") {
                progress("JetStream reference: acknowledged publishes into a file-stored stream")
                var bench = JetStreamBench(binary: natsBinary)
                bench.payloadBytes = envelope.count
                bench.progress = progress
                do {
                    let result = try await bench.run()
                    report.add(jetStream: result, bench: bench)
                    progress("  \(BenchFigure.format(result.messagesPerSecond)) msgs/s acknowledged")
                } catch {
                    failed(RoutingReport.jetStreamSection, error)
                }
                progress("the store alone with synchronous normal (JetStream's ack: written, not fsynced)")
                var store = RoutingStoreBench(message: message)
                store.synchronous = .normal
                do {
                    let result = try await store.run()
                    report.add(storeNormal: result, bench: store)
                    progress("  \(BenchFigure.format(result.messagesPerSecond)) msgs/s")
                } catch {
                    failed(RoutingReport.jetStreamSection + " (store alone, normal)", error)
                }
            } else {
                report.failures.append((RoutingReport.jetStreamSection, "nats-server not found on PATH (apt-get install -y nats-server, or --nats-server PATH)"))
            }
        }

        report.findings += RoutingFindings(link: linkResults, core: corePhases, hop: hopPhases, store: storeResult, forwarding: forwarding, latency: latency, chain: chain).lines()
        print(report.table())
    }
}
