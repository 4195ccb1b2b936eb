import ArgumentParser
import Foundation

/// `plexus-bench mesh`: Plexus's membership side by side with HashiCorp Serf's, measured by the
/// same code on the same machine — join visibility, failure detection, idle bytes per node — then
/// the throughput of one mutual-TLS peer link, raw and with Plexus frames.
///
/// Both systems run as real processes on loopback. Progress goes to stderr; the report to stdout.
struct MeshBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mesh",
        abstract: "Membership (join, failure detection, idle bytes) vs Serf, and peer-link mTLS throughput.",
        discussion: """
        Build first: swift build -c release --product plexus && swift build -c release --product plexus-bench
        Needs serf (apt-get install -y serf) unless --skip-serf, and root for nftables counters
        (falls back to tcpdump). scripts/bench-mesh.sh does all of it.
        """
    )

    @Option(help: "Cluster sizes, comma-separated.")
    var sizes = "5,20"

    @Option(help: "The serf binary (default: serf on PATH).")
    var serf: String?

    @Option(help: "The plexus binary (default: the plexus next to this program).")
    var plexus: String?

    @Flag(help: "Measure Plexus only.")
    var skipSerf = false

    @Option(name: .customLong("repeat"), help: "Repeats of the join and failure measurements (a fresh cluster each).")
    var repeats = 3

    @Option(help: "Milliseconds between two polls of one node's view (below 50 the polls slow Plexus's join on 2 cores).")
    var pollMs = 50

    @Option(help: "Seconds of idle traffic counted (after --idle-settle seconds of quiet).")
    var idleSeconds = 30

    @Option(help: "Seconds of quiet before idle traffic is counted. Plexus's start-up publishes (link health after two probes of each peer) last about 2×N probe periods; 90 s measures the steady state.")
    var idleSettle = 10

    @Option(help: "How to count idle bytes: nftables or tcpdump (default: nftables if it works, else tcpdump).")
    var wire: String?

    @Option(help: "Seconds per throughput case (each also stops at 1 GiB).")
    var throughputSeconds = 5

    @Flag(help: "Skip the membership measurements (throughput only).")
    var skipMembership = false

    @Flag(help: "Skip the peer-link throughput measurements.")
    var skipThroughput = false

    var sizeList: [Int] { sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        if sizeList.isEmpty || sizeList.contains(where: { !(2...40).contains($0) }) {
            throw ValidationError("--sizes must be a comma-separated list of sizes in 2...40, got \"\(sizes)\"")
        }
        if !(1...20).contains(repeats) { throw ValidationError("--repeat must be 1...20") }
        if !(5...1_000).contains(pollMs) { throw ValidationError("--poll-ms must be 5...1000") }
        if !(1...600).contains(idleSeconds) { throw ValidationError("--idle-seconds must be 1...600") }
        if !(1...60).contains(throughputSeconds) { throw ValidationError("--throughput-seconds must be 1...60") }
        if let wire, WireByteCounter.Method(rawValue: wire) == nil { throw ValidationError("--wire must be nftables or tcpdump") }
    }

    func run() async throws {
        MeshBenchReaper.installSignalHandlers()
        do {
            try await measure()
            MeshBenchReaper.killAll()
        } catch {
            MeshBenchReaper.killAll()
            throw error
        }
    }

    private func measure() async throws {
        let plexusBinary = try plexus ?? IdleRSSBench.plexusBinary()
        guard FileManager.default.isExecutableFile(atPath: plexusBinary) else { throw BenchError("\(plexusBinary) is not an executable") }
        let serfBinary = skipSerf ? nil : (serf ?? CollectedProcess.which("serf"))
        var options = MeshBenchSeries.Options()
        options.repeats = repeats
        options.pollInterval = .milliseconds(pollMs)
        options.idleWindow = .seconds(idleSeconds)
        options.idleSettle = .seconds(idleSettle)
        options.wireMethod = wire.flatMap(WireByteCounter.Method.init(rawValue:))
        progress("machine info (load average \(MachineInfo.loadAverage()))")
        var report = MeshBenchReport(machine: MachineInfo.collect(), options: options, plexusBinary: plexusBinary)
        if let serfBinary { report.serfVersion = try? await Self.version(of: serfBinary) }
        let progress: @Sendable (String) -> Void = { line in Self.progressLine(line) }

        if !skipMembership {
            for size in sizeList {
                report.series.append(await MeshBenchSeries.run(
                    system: "Plexus", size: size, options: options,
                    makeCluster: { try PlexusCluster(binary: plexusBinary) }, progress: progress))
                if let serfBinary {
                    report.series.append(await MeshBenchSeries.run(
                        system: "Serf", size: size, options: options,
                        makeCluster: { SerfCluster(binary: serfBinary) }, progress: progress))
                } else {
                    let reason = skipSerf ? "--skip-serf" : "serf not found on PATH (apt-get install -y serf, or --serf PATH)"
                    report.series.append(.skipped("Serf", size: size, reason: reason))
                }
            }
        }
        if !skipThroughput {
            progress("peer-link throughput over mTLS, \(throughputSeconds) s per case")
            do {
                report.throughput = try await TLSThroughputBench(duration: .seconds(throughputSeconds)).run()
            } catch {
                report.throughputError = "\(error)"
            }
        }
        print(report.table())
    }

    /// `serf version`'s first line.
    static func version(of binary: String) async throws -> String {
        let process = try CollectedProcess(executable: binary, arguments: ["version"])
        try await process.waitForExit(timeout: .seconds(10))
        return process.output.split(separator: "\n").first.map(String.init) ?? "unknown"
    }

    private func progress(_ line: String) { Self.progressLine(line) }

    private static func progressLine(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
