import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The whole machine's busy CPU time from /proc/stat: beside the node processes' own CPU it says
/// whether the cores were saturated during a window, and how much of them went to processes
/// outside the benchmark (someone else's build or test run on the same machine).
enum RoutingMachineCPU {
    /// Busy CPU seconds since boot, summed over all cores (everything but idle and iowait).
    static func busySeconds() -> Double {
        let text = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return 0 }
        // user nice system idle iowait irq softirq steal (guest time is already in user).
        let fields = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
        guard fields.count >= 5 else { return 0 }
        return (fields.reduce(0, +) - fields[3] - fields[4]) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds of each node process, this process (`bench`) and the machine (`machine`), so
    /// two readings a window apart give each one's cores over the window.
    static func reading(_ cluster: RoutingCluster) -> [String: Double] {
        var cpu = cluster.cpuSeconds()
        cpu["bench"] = CPUUsage.now().selfSeconds
        cpu["machine"] = busySeconds()
        return cpu
    }
}
