#if canImport(Glibc)
import Glibc
#endif

/// CPU time used by this process (where the in-process node runs) and by reaped children (wrk),
/// so each throughput figure can say whether the server was CPU-bound on this 2-core machine.
struct CPUUsage: Sendable {
    var selfSeconds: Double
    var childSeconds: Double

    static func now() -> CPUUsage {
        CPUUsage(selfSeconds: seconds(__rusage_who_t(RUSAGE_SELF.rawValue)), childSeconds: seconds(__rusage_who_t(RUSAGE_CHILDREN.rawValue)))
    }

    private static func seconds(_ who: __rusage_who_t) -> Double {
        var usage = rusage()
        getrusage(who, &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    /// "bench 1.62 cores, wrk 0.31 cores" over `wall` seconds since `start`.
    static func note(since start: CPUUsage, wall: Double, clientLabel: String? = nil) -> String {
        let end = now()
        let own = (end.selfSeconds - start.selfSeconds) / max(wall, 1e-9)
        var text = String(format: "bench process %.2f cores", own)
        if let clientLabel {
            let child = (end.childSeconds - start.childSeconds) / max(wall, 1e-9)
            text += String(format: ", %@ %.2f cores", clientLabel, child)
        }
        return text
    }
}
