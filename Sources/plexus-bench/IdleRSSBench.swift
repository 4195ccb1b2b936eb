import Foundation

/// Section 8: the memory an idle node holds. Runs the real `plexus dev` binary (the one users run,
/// with its logging and CLI), waits for it to settle after it says it is listening, reads VmRSS
/// from /proc, then stops it with SIGTERM as an operator would.
struct IdleRSSBench: Sendable {
    static let section = "8. Idle RSS (plexus dev, separate process)"

    /// `plexus` is built into the same directory as this program.
    static func plexusBinary() throws -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let path = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("plexus").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError("\(path) not found: run `swift build -c release --product plexus` (or `swift build -c release`) first")
        }
        return path
    }

    func run() async throws -> [BenchFigure] {
        let binary = try Self.plexusBinary()
        let dir = try TempDirectory("rss")
        defer { dir.remove() }
        let process = try CollectedProcess(executable: binary, arguments: [
            "dev", "--http-port", "0", "--host", "127.0.0.1", "--data-dir", dir.path, "--log-level", "warning",
        ])
        do {
            try await process.waitForOutput(containing: "listening on", timeout: .seconds(30))
            try await Task.sleep(for: .seconds(2))
            let (rss, hwm) = try Self.memory(pid: process.pid)
            process.terminate()
            let status = try await process.waitForExit(timeout: .seconds(20))
            return [
                BenchFigure(Self.section, "VmRSS 2 s after \"listening on\"", rss, "MiB", target: .below(64),
                            note: "\(binary), empty data dir; peak VmHWM \(BenchFigure.format(hwm)) MiB; exit status after SIGTERM: \(status)"),
            ]
        } catch {
            process.terminate(signal: SIGKILL)
            throw error
        }
    }

    /// VmRSS and VmHWM of `pid`, in MiB.
    static func memory(pid: Int32) throws -> (Double, Double) {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func field(_ name: String) -> Double? {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap { $0.split(separator: " ").dropFirst().first }
                .flatMap { Double($0) }
                .map { $0 / 1_024 }
        }
        guard let rss = field("VmRSS"), let hwm = field("VmHWM") else { throw BenchError("no VmRSS in /proc/\(pid)/status") }
        return (rss, hwm)
    }
}
