import Foundation
import PlexusTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A child process (wrk, nats-server, the `plexus` binary) whose output is collected as it
/// arrives and whose exit is awaited by polling — never by a blocking wait on the cooperative
/// pool, which would take one of its two threads away from the in-process node being measured.
///
/// Spawned with the tests' `ChildProcess` (`posix_spawn`, no inherited descriptors, default
/// signal dispositions), not Foundation's `Process`, whose `run()` crashed on Swift 6.3.1
/// (see that type). stdout and stderr share one pipe; a thread of its own reads it to EOF.
final class CollectedProcess: Sendable {
    private let child: ChildProcess
    private let collected = Locked((output: [UInt8](), closed: false))
    var pid: Int32 { child.pid }

    init(executable: String, arguments: [String]) throws {
        child = try ChildProcess(executable, arguments, stdout: .pipe, stderr: .stdout)
        let (child, collected) = (child, collected)
        Thread.detachNewThread {
            while case let chunk = child.read(), !chunk.isEmpty {
                collected.withLock { $0.output += chunk }
            }
            collected.withLock { $0.closed = true }
        }
    }

    /// A process dropped while running is killed. `ChildProcess` would do that in its own
    /// deinit, but the reader thread holds it until the pipe's EOF, which only the child's exit
    /// brings: the kill comes from here (the thread does not hold this object).
    deinit {
        child.signal(SIGKILL)
    }

    /// stdout and stderr interleaved, as received so far.
    var output: String { collected.withLock { String(decoding: $0.output, as: UTF8.self) } }

    /// The exit status once the process has exited (reaping it), else nil.
    var exitStatus: Int32? { child.isRunning ? nil : child.waitForExit() }

    /// Waits until the output contains `text`; fails if the process exits first or time runs out.
    func waitForOutput(containing text: String, timeout: Duration) async throws {
        let watch = Stopwatch()
        while watch.elapsed < timeout {
            if output.contains(text) { return }
            if let status = exitStatus {
                throw BenchError("process \(pid) exited with \(status) before printing \"\(text)\": \(output.suffix(400))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("process \(pid) did not print \"\(text)\" within \(timeout)")
    }

    /// Waits for exit and for the pipe to reach end of file, so `output` is complete.
    @discardableResult
    func waitForExit(timeout: Duration) async throws -> Int32 {
        let watch = Stopwatch()
        while watch.elapsed < timeout {
            if let status = exitStatus {
                // The pipe may still hold the last lines; give the reader a moment to drain it.
                let drain = Stopwatch()
                while drain.elapsed < .seconds(2), !collected.withLock({ $0.closed }) {
                    try await Task.sleep(for: .milliseconds(10))
                }
                return status
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        terminate(signal: SIGKILL)
        throw BenchError("process \(pid) did not exit within \(timeout)")
    }

    /// Signals the process unless it has exited (and been reaped: its pid may belong to another).
    func terminate(signal: Int32 = SIGTERM) {
        child.signal(signal)
    }

    /// Finds an executable on PATH (or nil), the way a shell would.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
