import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process (wrk, the `plexus` binary) whose output is collected as it arrives and whose
/// exit is awaited by polling — never by a blocking `waitUntilExit()`, which would take one of the
/// two cooperative-pool threads away from the in-process node being measured.
final class ChildProcess: Sendable {
    struct State {
        var output: [UInt8] = []
        var stdoutClosed = false
        var stderrClosed = false
        var exitStatus: Int32?
    }

    /// Kept so the `Process` outlives its handlers; everything that changes lives in `state`.
    private let process: Process
    private let state = Locked(State())
    let pid: Int32

    init(executable: String, arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        self.process = process
        let state = self.state
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            state.withLock { s in
                if data.isEmpty { s.stdoutClosed = true } else { s.output.append(contentsOf: data) }
            }
            if data.isEmpty { handle.readabilityHandler = nil }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            state.withLock { s in
                if data.isEmpty { s.stderrClosed = true } else { s.output.append(contentsOf: data) }
            }
            if data.isEmpty { handle.readabilityHandler = nil }
        }
        process.terminationHandler = { process in
            let status = process.terminationStatus
            state.withLock { $0.exitStatus = status }
        }
        try process.run()
        pid = process.processIdentifier
    }

    /// stdout and stderr interleaved, as received so far.
    var output: String { state.withLock { String(decoding: $0.output, as: UTF8.self) } }

    var exitStatus: Int32? { state.withLock { $0.exitStatus } }

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

    /// Waits for exit and for both pipes to reach end of file, so `output` is complete.
    @discardableResult
    func waitForExit(timeout: Duration) async throws -> Int32 {
        let watch = Stopwatch()
        while watch.elapsed < timeout {
            if let status = exitStatus {
                // The pipes may still hold the last lines; give them a moment to drain.
                let drain = Stopwatch()
                while drain.elapsed < .seconds(2), !state.withLock({ $0.stdoutClosed && $0.stderrClosed }) {
                    try await Task.sleep(for: .milliseconds(10))
                }
                return status
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        terminate(signal: SIGKILL)
        throw BenchError("process \(pid) did not exit within \(timeout)")
    }

    func terminate(signal: Int32 = SIGTERM) {
        if exitStatus == nil { kill(pid, signal) }
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
