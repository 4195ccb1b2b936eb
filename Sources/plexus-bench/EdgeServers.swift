import Foundation

/// The edge benchmarks' servers: Debian's redis-server and nats-server as child processes on
/// free loopback ports, without persistence (the figures are about the node's path, not theirs).
struct EdgeServers: Sendable {
    let redis: CollectedProcess
    let redisPort: Int
    let nats: CollectedProcess
    let natsPort: Int
    let directory: TempDirectory

    static func start() async throws -> EdgeServers {
        let directory = try TempDirectory("edge-servers")
        guard let redisBinary = CollectedProcess.which("redis-server") ?? ["/usr/bin/redis-server"].first(where: FileManager.default.isExecutableFile) else {
            throw BenchError("redis-server is not installed (apt-get install -y redis-server)")
        }
        guard let natsBinary = CollectedProcess.which("nats-server") ?? ["/usr/sbin/nats-server"].first(where: FileManager.default.isExecutableFile) else {
            throw BenchError("nats-server is not installed (apt-get install -y nats-server)")
        }
        let redisPort = try FreePort.pick(udpToo: false, avoiding: [])
        let natsPort = try FreePort.pick(udpToo: false, avoiding: [redisPort])
        let redis = try CollectedProcess(executable: redisBinary, arguments: [
            "--port", "\(redisPort)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory.path, "--daemonize", "no",
        ])
        try await redis.waitForOutput(containing: "Ready to accept connections", timeout: .seconds(30))
        let nats = try CollectedProcess(executable: natsBinary, arguments: ["-a", "127.0.0.1", "-p", "\(natsPort)"])
        try await nats.waitForOutput(containing: "Server is ready", timeout: .seconds(30))
        return EdgeServers(redis: redis, redisPort: redisPort, nats: nats, natsPort: natsPort, directory: directory)
    }

    var redisURL: String { "redis://127.0.0.1:\(redisPort)" }
    var natsURL: String { "nats://127.0.0.1:\(natsPort)" }

    func stop() async {
        for process in [redis, nats] {
            process.terminate()
            _ = try? await process.waitForExit(timeout: .seconds(10))
        }
        directory.remove()
    }
}
