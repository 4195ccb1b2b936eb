import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A live-stream client for the fan-out benchmark, built from NIO's own HTTP client upgrader and
/// WebSocket frame decoder, that only counts frames (see `StreamFrameCounter`). The WebSocket
/// ingest benchmark uses HummingbirdWSClient, a full client; here the client must cost as little
/// as possible because 100 of them share the node's two cores.
enum StreamCounterClient {
    /// Connects to `ws://127.0.0.1:port/path`, counts frames until `expected` or until the server
    /// closes, and returns the count. `onComplete` runs when the last expected frame arrives.
    static func run(port: Int, path: String, expected: Int, onComplete: @escaping @Sendable () -> Void) async throws -> Int {
        let group = MultiThreadedEventLoopGroup.singleton
        let done = group.any().makePromise(of: Int.self)
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                let requester = UpgradeRequestHandler(path: path, host: "127.0.0.1:\(port)", done: done)
                let upgrader = NIOWebSocketClientUpgrader(
                    maxFrameSize: 1 << 20,
                    automaticErrorHandling: true,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                StreamFrameCounter(expected: expected, done: done, onComplete: onComplete)
                            )
                        }
                    }
                )
                let requesterBox = NIOLoopBound(requester, eventLoop: channel.eventLoop)
                let configuration: NIOHTTPClientUpgradeSendableConfiguration = (
                    upgraders: [upgrader],
                    completionHandler: { context in
                        context.pipeline.syncOperations.removeHandler(requesterBox.value, promise: nil)
                    }
                )
                return channel.pipeline.addHTTPClientHandlers(leftOverBytesStrategy: .forwardBytes, withClientUpgrade: configuration)
                    .flatMapThrowing { try channel.pipeline.syncOperations.addHandler(requesterBox.value) }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        } catch {
            done.fail(error)
            throw error
        }
        _ = channel
        return try await done.futureResult.get()
    }
}
