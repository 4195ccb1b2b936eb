import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The fallback when wrk is not installed: `connections` AsyncHTTPClient loops, each sending
/// requests back to back for the duration. It shares the two cores with the node, so its figures
/// understate the node; the report says when it was used.
struct ClientLoadRunner: Sendable {
    func run(url: String, body: [UInt8]?, connections: Int, seconds: Int) async throws -> LoadResult {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let payload = body.map { ByteBuffer(bytes: $0) }
        let cpu = CPUUsage.now()
        let watch = Stopwatch()
        let deadline = Duration.seconds(seconds)
        let (ok, failed) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var ok = 0
                    var failed = 0
                    while watch.elapsed < deadline {
                        var request = HTTPClientRequest(url: url)
                        if let payload {
                            request.method = .POST
                            request.headers.add(name: "content-type", value: "application/json")
                            request.body = .bytes(payload)
                        }
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 22)
                        if (200..<400).contains(Int(response.status.code)) { ok += 1 } else { failed += 1 }
                    }
                    return (ok, failed)
                }
            }
            var total = (0, 0)
            for try await (ok, failed) in group { total = (total.0 + ok, total.1 + failed) }
            return total
        }
        let wall = watch.seconds
        try await client.shutdown()
        return LoadResult(
            requestsPerSecond: Double(ok) / wall, requests: ok + failed, seconds: wall, failedResponses: failed,
            socketErrors: nil, meanLatencyMilliseconds: nil,
            cpuNote: CPUUsage.note(since: cpu, wall: wall) + " (node and client together)"
        )
    }
}
