import ArgumentParser
import Foundation

/// `plexus-bench nats-cluster`: the nats-server clustering reference on its own (the figures come
/// from `NATSClusterBench`, which other subcommands can run to print beside theirs).
struct NATSClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nats-cluster",
        abstract: "Reference: throughput and latency through 3 nats-servers (pub on A, sub on C).",
        discussion: """
            Needs nats-server (apt-get install -y nats-server) unless --nats-server PATH.
            --shape leafnodes (default): B a hub, A and C its leaf nodes, so messages cross B (two hops, like \
            a 3-node Plexus path). --shape routes: a cluster configured as a chain A–B–C, which NATS turns into \
            a full mesh, so A→C is one direct route.
            """
    )

    @Option(help: "leafnodes (A→B→C through hub B) or routes (cluster; A→C direct).")
    var shape: NATSServerCluster.Shape = .leafnodes

    @Option(help: "The nats-server binary (default: nats-server on PATH).")
    var natsServer: String?

    @Option(help: "Payload bytes per message (at least 16: send time and sequence number).")
    var payloadBytes = 300

    @Option(help: "Messages published as fast as possible for the throughput figure.")
    var messages = 500_000

    @Option(help: "Throughput run: at most this many messages published but not yet received (0: unbounded, which gets the subscriber cut off as a slow consumer once 64 MiB are pending for it).")
    var window = 20_000

    @Option(help: "Messages per second for the latency figure.")
    var rate = 10_000

    @Option(help: "Seconds the latency figure publishes for.")
    var seconds = 5

    func validate() throws {
        if !(16...1_048_576).contains(payloadBytes) { throw ValidationError("--payload-bytes must be 16...1048576") }
        if !(1...50_000_000).contains(messages) { throw ValidationError("--messages must be 1...50000000") }
        if window < 0 { throw ValidationError("--window must be ≥ 0") }
        if !(1...1_000_000).contains(rate) { throw ValidationError("--rate must be 1...1000000") }
        if !(1...600).contains(seconds) { throw ValidationError("--seconds must be 1...600") }
    }

    func run() async throws {
        guard let binary = natsServer ?? CollectedProcess.which("nats-server") else {
            throw BenchError("nats-server not found on PATH (apt-get install -y nats-server, or --nats-server PATH)")
        }
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw BenchError("\(binary) is not an executable") }
        // Ctrl-C must not leave three nats-servers behind.
        MeshBenchReaper.installSignalHandlers()
        var bench = NATSClusterBench(binary: binary)
        bench.shape = shape
        bench.payloadBytes = payloadBytes
        bench.throughputMessages = messages
        bench.throughputWindow = window
        bench.latencyRate = rate
        bench.latencyDuration = .seconds(seconds)
        bench.progress = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let machine = MachineInfo.collect()
        let figures: NATSClusterFigures
        do {
            figures = try await bench.run()
            MeshBenchReaper.killAll()
        } catch {
            MeshBenchReaper.killAll()
            throw error
        }
        print("plexus-bench nats-cluster — \(machine.date)")
        print("machine:  \(machine.summary)")
        print("load avg: \(machine.loadAverage) at start, \(MachineInfo.loadAverage()) at end")
        print(figures.table())
    }
}

extension NATSServerCluster.Shape: ExpressibleByArgument {}
