import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The machine a run measured, printed at the top of the report: figures mean nothing without
/// the cores, the memory and — for durable commits — how long one fsync takes on this disk.
struct MachineInfo: Sendable {
    var cores: Int
    var cpuModel: String
    var memoryMiB: Int
    var kernel: String
    var date: String
    var command: String
    /// Median time of appending 16 KiB + fdatasync in the temp dir (what a WAL commit does): the
    /// floor under every `synchronous=FULL` commit, so it bounds durable commits per second.
    var fsyncMilliseconds: Double?
    /// /proc/loadavg when the run started: other work on the machine distorts every figure.
    var loadAverage: String

    /// "machine:" line's text, as every report prints it.
    var summary: String { "\(cores) cores, \(cpuModel), \(memoryMiB) MiB RAM, Linux \(kernel)" }

    /// Collects the facts and prints the report's header: title and date, command, machine,
    /// and (with `disk`) the fsync floor, then the load at the start.
    @discardableResult
    static func printHeader(_ title: String, disk: Bool = false) -> MachineInfo {
        let machine = collect()
        print("\(title) — \(machine.date)")
        print("command:  \(machine.command)")
        print("machine:  \(machine.summary)")
        if disk, let fsync = machine.fsyncMilliseconds { print("disk:     16 KiB append+fdatasync p50 \(BenchFigure.format(fsync)) ms") }
        print("load avg: \(machine.loadAverage) at start")
        return machine
    }

    static func collect() -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n")
            .first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let memKiB = meminfo.split(separator: "\n")
            .first { $0.hasPrefix("MemTotal:") }
            .flatMap { line in line.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
        let kernel = ((try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? "unknown")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let formatter = ISO8601DateFormatter()
        return MachineInfo(
            cores: ProcessInfo.processInfo.activeProcessorCount,
            cpuModel: model,
            memoryMiB: memKiB / 1_024,
            kernel: kernel,
            date: formatter.string(from: Date()),
            command: CommandLine.arguments.map(Self.shellQuoted).joined(separator: " "),
            fsyncMilliseconds: Self.probeFsync(),
            loadAverage: Self.loadAverage()
        )
    }

    /// The 1, 5 and 15 minute load averages.
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// 40 × (append 16 KiB, fdatasync) on a fresh file; the median, in milliseconds.
    static func probeFsync() -> Double? {
        guard let dir = try? TempDirectory("fsync") else { return nil }
        defer { dir.remove() }
        let fd = open(dir.file("probe"), O_CREAT | O_WRONLY, 0o600)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let block = [UInt8](repeating: 0x5A, count: 16_384)
        var samples: [Double] = []
        for _ in 0..<40 {
            let watch = Stopwatch()
            let written = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == block.count, fdatasync(fd) == 0 else { return nil }
            samples.append(watch.elapsed.milliseconds)
        }
        return LatencyStats(milliseconds: samples).p50
    }

    static func shellQuoted(_ argument: String) -> String {
        let safe = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,".contains($0) }
        return safe ? argument : "'" + argument.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
