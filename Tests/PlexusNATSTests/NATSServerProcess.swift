import Foundation
import NIOCore
import NIOPosix
import PlexusTestSupport
@testable import PlexusNATS

/// A real nats-server for integration tests (`ServerProcess`): a free port, JetStream storing
/// in its own directory, killed (-9) and restarted on demand with the same port and store.
final class NATSServerProcess: Sendable {
    let server: ServerProcess

    var port: Int { server.port }
    var url: String { "nats://127.0.0.1:\(port)" }
    /// The server's log, for failure messages.
    var log: String { server.logTail() }

    private init(server: ServerProcess) { self.server = server }

    /// Starts a server (with JetStream) and waits until it accepts TCP connections.
    static func start(_ extraArguments: [String] = []) async throws -> NATSServerProcess {
        NATSServerProcess(server: try await ServerProcess.nats(jetStream: true, extraArguments: extraArguments))
    }

    func launch() async throws { try await server.start() }
    /// SIGKILL: no lame-duck mode, no flush, connections drop like a crashed host's.
    func kill9() { server.kill9() }
    func restart() async throws {
        kill9()
        try await launch()
    }
    func stop() { server.stop() }
}

extension NATSClient {
    /// A connected client for tests, with fast reconnects.
    static func connected(to server: NATSServerProcess, echo: Bool = false, configure: (inout Configuration) -> Void = { _ in }) async throws -> NATSClient {
        var configuration = try Configuration(url: server.url)
        configuration.echo = echo
        configuration.reconnectBackoff = NATSBackoff(minimum: .milliseconds(20), maximum: .milliseconds(500))
        configure(&configuration)
        let client = try NATSClient(configuration: configuration)
        try await withTimeout(20, "connect to \(server.url)") { try await client.connect() }
        return client
    }
}
