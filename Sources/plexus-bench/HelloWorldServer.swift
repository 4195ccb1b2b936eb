import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle

/// The ceiling for single-message HTTP: the same server stack as the node (Hummingbird with
/// `.http1WebSocketUpgrade`, 127.0.0.1) answering `GET /hello` with a short string. The node's
/// single-message req/s divided by this is how much of the stack's capacity ingest leaves.
final class HelloWorldServer: Sendable {
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int

    static func start() async throws -> HelloWorldServer {
        let router = Router(context: BasicRequestContext.self)
        router.get("/hello") { _, _ in "Hello, world!" }
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        webSocketRouter.ws("/ws") { inbound, _, _ in
            for try await _ in inbound {}
        }
        var logger = Logger(label: "plexus.bench.hello")
        logger.logLevel = .warning
        let (listening, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter, configuration: .init(ws: .init(maxFrameSize: 1 << 20, validateUTF8: true))),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "plexus/hello"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task { try await group.run() }
        let port = try await TimeLimit.run(.seconds(30), "hello-world server start") { () -> Int? in
            for await port in listening { return port }
            return nil
        }
        guard let port, port > 0 else {
            task.cancel()
            throw BenchError("the hello-world server did not start listening")
        }
        return HelloWorldServer(group: group, task: task, port: port)
    }

    private init(group: ServiceGroup, task: Task<Void, any Error>, port: Int) {
        self.group = group
        self.task = task
        self.port = port
    }

    var url: String { "http://127.0.0.1:\(port)/hello" }

    func stop() async {
        await group.triggerGracefulShutdown()
        let task = self.task
        _ = try? await TimeLimit.run(.seconds(15), "hello-world server shutdown") { try await task.value }
    }
}
