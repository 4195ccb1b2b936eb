import PlexusRedis
import PlexusTestSupport

/// A throwaway redis-server for one test (`ServerProcess`: its own free port and directory, no
/// persistence), with a client configuration that reconnects quickly.
final class RedisServerProcess: Sendable {
    let server: ServerProcess
    let password: String?

    var port: Int { server.port }

    private init(server: ServerProcess, password: String?) {
        self.server = server
        self.password = password
    }

    static func start(password: String? = nil, extraArguments: [String] = []) async throws -> RedisServerProcess {
        RedisServerProcess(server: try await ServerProcess.redis(password: password, extraArguments: extraArguments), password: password)
    }

    /// A client configuration for this server with short connect and backoff times.
    func configuration(database: Int = 0, commandTimeout: Duration = .seconds(10)) -> RedisConfiguration {
        RedisConfiguration(
            host: "127.0.0.1", port: port, password: password, database: database,
            connectTimeout: .seconds(5), commandTimeout: commandTimeout,
            reconnectBackoffMinimum: .milliseconds(20), reconnectBackoffMaximum: .milliseconds(300)
        )
    }

    /// Starts the server again on the same port (after `kill9`).
    func launch() async throws { try await server.start() }
    func kill9() { server.kill9() }
    func stop() { server.stop() }
}
