import Foundation

/// Drives HTTP load with wrk, a C load generator in its own process: a Swift client on the same two
/// cores would spend the CPU the server needs, so the figure would measure the client.
///
/// POST bodies go through a small Lua script that reads the body from a file (no escaping). The
/// figure is wrk's own "Requests/sec:" line.
struct WrkRunner: Sendable {
    let executable: String

    static func find() -> WrkRunner? {
        CollectedProcess.which("wrk").map(WrkRunner.init(executable:))
    }

    func run(url: String, body: [UInt8]?, connections: Int, threads: Int, seconds: Int) async throws -> LoadResult {
        let scratch = try TempDirectory("wrk")
        defer { scratch.remove() }
        var arguments = ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency"]
        if let body {
            let bodyPath = scratch.file("body.json")
            let scriptPath = scratch.file("post.lua")
            try Data(body).write(to: URL(fileURLWithPath: bodyPath))
            let script = """
            wrk.method = "POST"
            wrk.headers["Content-Type"] = "application/json"
            local f = assert(io.open("\(bodyPath)", "rb"))
            wrk.body = f:read("*a")
            f:close()
            """
            try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
            arguments += ["-s", scriptPath]
        }
        arguments.append(url)
        let cpu = CPUUsage.now()
        let watch = Stopwatch()
        let process = try CollectedProcess(executable: executable, arguments: arguments)
        let status = try await process.waitForExit(timeout: .seconds(seconds + 60))
        let wall = watch.seconds
        let output = process.output
        guard status == 0 else { throw BenchError("wrk exited with \(status): \(output)") }
        return try Self.parse(output, cpuNote: CPUUsage.note(since: cpu, wall: wall, clientLabel: "wrk"))
    }

    /// Reads wrk's summary: "Requests/sec:", "N requests in Xs", "Non-2xx or 3xx responses:",
    /// "Socket errors:", and the mean of "Latency".
    static func parse(_ output: String, cpuNote: String) throws -> LoadResult {
        var rps: Double?
        var requests = 0
        var seconds = 0.0
        var failed = 0
        var socketErrors: String?
        var latency: Double?
        for raw in output.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), fields.count >= 2 {
                rps = Double(fields[1])
            } else if fields.count >= 4, fields[1] == "requests", fields[2] == "in" {
                requests = Int(fields[0]) ?? 0
                seconds = Double(fields[3].trimmingCharacters(in: CharacterSet(charactersIn: "s,"))) ?? 0
            } else if line.hasPrefix("Non-2xx or 3xx responses:") {
                failed = Int(fields.last ?? "") ?? 0
            } else if line.hasPrefix("Socket errors:") {
                socketErrors = String(line.dropFirst("Socket errors:".count)).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("Latency"), fields.count >= 2, latency == nil {
                latency = milliseconds(String(fields[1]))
            }
        }
        guard let rps else { throw BenchError("no \"Requests/sec:\" line in wrk's output: \(output)") }
        return LoadResult(
            requestsPerSecond: rps, requests: requests, seconds: seconds, failedResponses: failed,
            socketErrors: socketErrors, meanLatencyMilliseconds: latency, cpuNote: cpuNote
        )
    }

    /// wrk prints "812.00us", "1.23ms", "2.01s".
    static func milliseconds(_ text: String) -> Double? {
        if text.hasSuffix("us") { return Double(text.dropLast(2)).map { $0 / 1_000 } }
        if text.hasSuffix("ms") { return Double(text.dropLast(2)) }
        if text.hasSuffix("s") { return Double(text.dropLast(1)).map { $0 * 1_000 } }
        return nil
    }
}
