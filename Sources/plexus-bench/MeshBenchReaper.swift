import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Every process the mesh benchmark starts (up to 2 × 23 nodes, tcpdump), so that all of them die
/// however the run ends: normally, by an error (the command kills them before rethrowing), or by
/// Ctrl-C / SIGTERM (a signal source kills them, then exits). A SIGKILL of the benchmark itself
/// cannot be caught; then `scripts/bench-mesh.sh` names the leftovers to kill.
enum MeshBenchReaper {
    private static let pids = Locked<Set<Int32>>([])
    /// Only kept alive (a released source stops delivering); written once, by
    /// `installSignalHandlers()` at the start of the command before any task runs, never read.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func register(_ pid: Int32) { pids.withLock { _ = $0.insert(pid) } }

    static func unregister(_ pid: Int32) { pids.withLock { _ = $0.remove(pid) } }

    /// SIGKILLs every registered process that is still registered.
    static func killAll() {
        let all = pids.withLock { pids in
            let all = pids
            pids.removeAll()
            return all
        }
        for pid in all { kill(pid, SIGKILL) }
    }

    /// Turns SIGINT, SIGTERM and SIGHUP into "kill every child, then exit 130".
    static func installSignalHandlers() {
        for signo in [SIGINT, SIGTERM, SIGHUP] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler {
                killAll()
                FileHandle.standardError.write(Data("plexus-bench mesh: signal \(signo), killed all child processes\n".utf8))
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}
