import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Bytes and packets on the loopback wire to or from a set of ports (the nodes' membership
/// ports), TCP and UDP apart, counted the same way for both systems.
///
/// What is counted: IP packets, IPv4 header + TCP/UDP header + payload (no link-layer header), so
/// TCP's pure ACKs and TLS records count as well as Serf's UDP datagrams — what the kernel really
/// carries. Each packet is counted once: a packet between two nodes has a node port at *both*
/// ends (Serf's UDP probes go bind port → bind port) or one (a dialled TCP connection: ephemeral →
/// listen port), and is still one packet.
///
/// Two methods, same figure:
/// - nftables (preferred, exact kernel counters, no process in the way): a table of our own with
///   one chain on the *output* hook. A loopback packet passes output once (then input once, which
///   has no rule here); the rules test `dport ∈ ports` then `sport ∈ ports`, each ending in
///   `return`, so a packet matching both is counted by the first rule only. nftables counts
///   `skb->len` at the IP layer, i.e. IP header included, link header excluded.
/// - tcpdump (fallback): `tcpdump -i lo` sees each loopback packet once — the kernel hands the
///   socket both the outgoing and the incoming copy and libpcap drops the outgoing copy on `lo`
///   (checked here: 10 UDP datagrams sent, 10 captured, "20 packets received by filter"). With `-e`
///   each line gives the link-layer frame length; the 14-byte Ethernet header of `lo` is taken off
///   so the figure matches the nftables one.
final class WireByteCounter: Sendable {
    enum Method: String, Sendable, CaseIterable {
        case nftables, tcpdump
    }

    struct Count: Sendable {
        var tcpBytes = 0
        var tcpPackets = 0
        var udpBytes = 0
        var udpPackets = 0
        var seconds = 0.0
        /// tcpdump only, when it could report it: packets the kernel dropped before tcpdump read them.
        var dropped = 0

        var bytes: Int { tcpBytes + udpBytes }
        var packets: Int { tcpPackets + udpPackets }
    }

    let method: Method
    private let table: String
    private let capture: CollectedProcess?
    /// nftables: the counters when counting started (read, not reset: a read is timed by when
    /// `nft` was spawned, so both ends of the window are timed the same way).
    private let baseline: Count
    private let started: ContinuousClock.Instant

    private init(method: Method, table: String, capture: CollectedProcess?, baseline: Count = Count(), started: ContinuousClock.Instant) {
        self.method = method
        self.table = table
        self.capture = capture
        self.baseline = baseline
        self.started = started
    }

    /// Starts counting now. `method` nil: nftables if it works here, else tcpdump.
    static func start(ports: [Int], method: Method?) async throws -> WireByteCounter {
        guard !ports.isEmpty else { throw BenchError("no ports to count") }
        if method != .tcpdump {
            do {
                return try await startNFTables(ports: ports)
            } catch where method == nil {
                FileHandle.standardError.write(Data("nftables counters unavailable (\(error)); using tcpdump\n".utf8))
            }
        }
        return try await startTcpdump(ports: ports)
    }

    private static func startNFTables(ports: [Int]) async throws -> WireByteCounter {
        let table = "plexus_bench_\(getpid())"
        let set = ports.map(String.init).joined(separator: ", ")
        var rules: [String] = []
        for proto in ["tcp", "udp"] {
            for end in ["dport", "sport"] {
                rules.append("    oifname \"lo\" \(proto) \(end) @ports counter name \"mesh_\(proto)\" return")
            }
        }
        let script = """
            table inet \(table) {
              counter mesh_tcp { }
              counter mesh_udp { }
              set ports { type inet_service; elements = { \(set) } }
              chain out {
                type filter hook output priority 0; policy accept;
            \(rules.joined(separator: "\n"))
              }
            }

            """
        let file = NSTemporaryDirectory() + "\(table).nft"
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = try? await nft(["delete", "table", "inet", table])
        _ = try await nft(["-f", file])
        let started = ContinuousClock.now
        let baseline = parseNFTCounters(try await nft(["list", "counters", "table", "inet", table]))
        return WireByteCounter(method: .nftables, table: table, capture: nil, baseline: baseline, started: started)
    }

    private static func startTcpdump(ports: [Int]) async throws -> WireByteCounter {
        guard let tcpdump = CollectedProcess.which("tcpdump") ?? ["/usr/sbin/tcpdump", "/usr/bin/tcpdump"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else { throw BenchError("neither nftables nor tcpdump works here: install tcpdump (apt-get install -y tcpdump)") }
        let filter = "(tcp or udp) and (" + ports.map { "port \($0)" }.joined(separator: " or ") + ")"
        let process = try CollectedProcess(executable: tcpdump, arguments: ["-i", "lo", "-n", "-q", "-e", "-tt", "-l", "-B", "8192", filter])
        MeshBenchReaper.register(process.pid)
        try await process.waitForOutput(containing: "listening on", timeout: .seconds(10))
        return WireByteCounter(method: .tcpdump, table: "", capture: process, started: ContinuousClock.now)
    }

    /// Stops counting and returns what was counted since `start`.
    func stop() async throws -> Count {
        switch method {
        case .nftables:
            let seconds = (ContinuousClock.now - started).seconds
            let output = try await Self.nft(["list", "counters", "table", "inet", table])
            _ = try? await Self.nft(["delete", "table", "inet", table])
            let end = Self.parseNFTCounters(output)
            return Count(
                tcpBytes: end.tcpBytes - baseline.tcpBytes, tcpPackets: end.tcpPackets - baseline.tcpPackets,
                udpBytes: end.udpBytes - baseline.udpBytes, udpPackets: end.udpPackets - baseline.udpPackets, seconds: seconds
            )
        case .tcpdump:
            guard let capture else { throw BenchError("no capture") }
            let seconds = (ContinuousClock.now - started).seconds
            // SIGKILL, not SIGINT: a child spawned by Foundation's Process from a pool thread
            // inherits that thread's blocked signal mask (SIGINT and SIGTERM blocked: checked in
            // /proc/PID/status), so tcpdump would never see them. With -l every packet line is
            // already in the pipe; only tcpdump's closing drop count is lost.
            capture.terminate(signal: SIGKILL)
            try await capture.waitForExit(timeout: .seconds(10))
            MeshBenchReaper.unregister(capture.pid)
            var count = Self.parseTcpdump(capture.output)
            count.seconds = seconds
            return count
        }
    }

    /// Runs `nft` and returns its output; throws on a non-zero exit (no nft, no permission, no
    /// nf_tables in this kernel).
    private static func nft(_ arguments: [String]) async throws -> String {
        guard let nft = CollectedProcess.which("nft") ?? ["/usr/sbin/nft", "/sbin/nft"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else { throw BenchError("nft not found") }
        let process = try CollectedProcess(executable: nft, arguments: arguments)
        let status = try await process.waitForExit(timeout: .seconds(10))
        guard status == 0 else { throw BenchError("nft \(arguments.joined(separator: " ")) exited \(status): \(process.output)") }
        return process.output
    }

    /// `counter mesh_tcp {\n packets N bytes M\n }` blocks of `nft list counters`.
    static func parseNFTCounters(_ text: String) -> Count {
        var count = Count()
        var current = ""
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
            if words.first == "counter", words.count >= 2 { current = words[1] }
            guard let p = words.firstIndex(of: "packets"), let b = words.firstIndex(of: "bytes"),
                  p + 1 < words.count, b + 1 < words.count,
                  let packets = Int(words[p + 1]), let bytes = Int(words[b + 1]) else { continue }
            if current == "mesh_tcp" { count.tcpPackets = packets; count.tcpBytes = bytes }
            if current == "mesh_udp" { count.udpPackets = packets; count.udpBytes = bytes }
        }
        return count
    }

    /// Lines like `1.2 00:00:… > 00:00:…, IPv4, length 142: 127.0.0.1.1 > 127.0.0.1.2: UDP, length 100`
    /// (`tcp 0` for TCP with -q), and the summary `N packets dropped by kernel`.
    static func parseTcpdump(_ text: String) -> Count {
        var count = Count()
        for line in text.split(separator: "\n") {
            if line.hasSuffix("packets dropped by kernel"), let n = line.split(separator: " ").first.flatMap({ Int($0) }) {
                count.dropped = n
                continue
            }
            guard let range = line.range(of: ", length ") else { continue }
            let digits = line[range.upperBound...].prefix { $0.isNumber }
            guard let frame = Int(digits) else { continue }
            let ipBytes = frame - 14
            if line.contains(": UDP") {
                count.udpPackets += 1
                count.udpBytes += ipBytes
            } else if line.contains(": tcp") {
                count.tcpPackets += 1
                count.tcpBytes += ipBytes
            }
        }
        return count
    }
}
