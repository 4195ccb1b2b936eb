import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// CPU time and resident memory of a running child, from /proc (getrusage only sees children
/// once they are reaped, and the cluster nodes are measured while they run).
enum ProcStat {
    /// User + system CPU seconds `pid` has used so far, or nil if it is gone.
    static func cpuSeconds(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": state is field 3, utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// VmRSS of `pid` in MiB, or nil if it is gone.
    static func residentMiB(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { $0.split(separator: " ").dropFirst().first }
            .flatMap { Double($0) }
            .map { $0 / 1_024 }
    }

    /// Seconds the threads of `pid` have spent runnable but waiting for a CPU (the second field
    /// of each `/proc/PID/task/TID/schedstat`), or nil without schedstats. Beside the CPU time it
    /// says how much of a hop's latency was queueing for a core rather than work.
    static func runQueueWaitSeconds(_ pid: Int32) -> Double? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        var nanoseconds = 0.0
        var found = false
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8) else { continue }
            let fields = text.split(separator: " ")
            guard fields.count >= 2, let wait = Double(fields[1]) else { continue }
            nanoseconds += wait
            found = true
        }
        return found ? nanoseconds / 1e9 : nil
    }
}
