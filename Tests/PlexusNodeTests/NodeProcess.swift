#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PlexusTestSupport

/// The real `plexus` executable as a child process, for tests about process death and restarts.
/// Started through `ChildProcess` (posix_spawn), never Foundation's `Process`: see there why.
final class NodeProcess: Sendable {
    let process: ChildProcess
    let port: Int

    /// The `plexus` binary SwiftPM built next to this test bundle.
    static var executable: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("plexus").path
    }

    private init(process: ChildProcess, port: Int) {
        self.process = process
        self.port = port
    }

    /// Starts `plexus dev` on a free port over `dataDir` (plus `extra` flags) and waits for its banner.
    static func dev(dataDir: String, extra: [String] = []) async throws -> NodeProcess {
        let process = try ChildProcess(executable, ["dev", "--http-port", "0", "--mesh-port", "0", "--data-dir", dataDir, "--log-level", "error"] + extra, stdout: .pipe)
        return NodeProcess(process: process, port: try await readPort(process))
    }

    /// Starts `plexus` with `arguments`, its output appended to `log`; no port is known.
    static func start(_ arguments: [String], log: String) throws -> NodeProcess {
        NodeProcess(process: try ChildProcess(executable, arguments, stdout: .file(log), stderr: .stdout), port: 0)
    }

    private static func readPort(_ process: ChildProcess) async throws -> Int {
        try await Task.detached {
            var text = ""
            while true {
                let data = process.read()
                if data.isEmpty { throw TestFailure("plexus exited before listening: \(text)") }
                text += String(decoding: data, as: UTF8.self)
                if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    return Int(text[range].split(separator: ":").last!)!
                }
            }
        }.value
    }

    var base: String { "http://127.0.0.1:\(port)" }

    func kill9() { process.kill9() }

    /// Sends SIGTERM and waits for the exit status.
    func terminate() async -> Int32 { await process.terminate() }
}
