#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The real `plexus` executable as a child process, for tests about process death and restarts.
///
/// Known flake (seen once in three fresh-clone CI runs on 2026-12-03, in
/// `CLITests.tailPrintsOneLinePerMatchingMessage`): Foundation's `Process.run()` in Swift 6.3.1
/// can die with SIGSEGV in `memmove` while listing `/proc/self/fd` (it copies the whole
/// 256-byte `d_name` of each entry and can read past readdir's buffer; fixed upstream in
/// swift-corelibs-foundation PR #5472). The more descriptors the test process holds open, the
/// likelier it is. The way out is a `posix_spawn` helper in PlexusTestSupport in place of every
/// `Process()` of the tests (this file, ServerProcess, PostgresServer, CLITests, NATSTLSTests,
/// RoutingProcessTests, PostgresNodeTests).
final class NodeProcess: @unchecked Sendable {
    // @unchecked: `process` and the pipe are only touched from the test that owns this object,
    // one call at a time; Foundation's Process is not marked Sendable.
    let process: Process
    let output = Pipe()
    private(set) var port = 0

    /// The `plexus` binary SwiftPM built next to this test bundle.
    static var executable: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("plexus").path
    }

    init(arguments: [String]) {
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
    }

    /// Starts `plexus dev` on a free port over `dataDir` (plus `extra` flags) and waits for its banner.
    static func dev(dataDir: String, extra: [String] = []) async throws -> NodeProcess {
        let node = NodeProcess(arguments: ["dev", "--http-port", "0", "--mesh-port", "0", "--data-dir", dataDir, "--log-level", "error"] + extra)
        try node.process.run()
        node.port = try await node.readPort()
        return node
    }

    private func readPort() async throws -> Int {
        let handle = output.fileHandleForReading
        return try await Task.detached {
            var text = ""
            while true {
                let data = handle.availableData
                if data.isEmpty { throw TestFailure("plexus exited before listening: \(text)") }
                text += String(decoding: data, as: UTF8.self)
                if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    return Int(text[range].split(separator: ":").last!)!
                }
            }
        }.value
    }

    var base: String { "http://127.0.0.1:\(port)" }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGTERM and waits for the exit status.
    func terminate() async -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        return await Task.detached { [process] in
            process.waitUntilExit()
            return process.terminationStatus
        }.value
    }
}
