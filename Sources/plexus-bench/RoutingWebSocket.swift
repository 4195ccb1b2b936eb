import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Plain NIO WebSocket clients for the routing benchmark: the upgrade from NIO's own client
/// upgrader (as `StreamCounterClient` does), then one handler of the benchmark's that does all its
/// work on the connection's event loop — no task hop per frame — so the clients take as little as
/// possible of the two cores the nodes need. Client frames are masked, as RFC 6455 requires.
enum RoutingWebSocket {
    /// Connects to `ws://127.0.0.1:port` + `path` on `loop` and returns the channel once the
    /// upgrade is done and the handler `make` returns (built on the loop) is in the pipeline.
    static func connect(
        port: Int, path: String, on loop: any EventLoop, maxFrameSize: Int = 1 << 24,
        make: @escaping @Sendable () -> any ChannelHandler
    ) async throws -> any Channel {
        // `refused`: the requester's verdict when the server answers without upgrading.
        let refused = loop.makePromise(of: Int.self)
        let upgraded = loop.makePromise(of: Void.self)
        refused.futureResult.whenComplete { result in
            if case .failure(let error) = result { upgraded.fail(error) }
        }
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let requester = UpgradeRequestHandler(path: path, host: "127.0.0.1:\(port)", done: refused)
                let upgrader = NIOWebSocketClientUpgrader(
                    maxFrameSize: maxFrameSize,
                    automaticErrorHandling: true,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(make())
                            upgraded.succeed()
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
            upgraded.fail(error)
            refused.fail(error)
            throw error
        }
        do {
            try await TimeLimit.run(.seconds(15), "WebSocket upgrade of \(path)") { try await upgraded.futureResult.get() }
        } catch {
            upgraded.fail(error)
            channel.close(promise: nil)
            throw error
        }
        // The requester never fails `refused` after a successful upgrade; settle it.
        refused.succeed(0)
        return channel
    }

    /// A masked text frame (client to server).
    static func text(_ data: ByteBuffer) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: data)
    }

    /// Answers a ping; other control frames need nothing from the benchmark's clients.
    static func pong(to frame: WebSocketFrame, context: ChannelHandlerContext) {
        let reply = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
        context.writeAndFlush(NIOAny(reply), promise: nil)
    }
}
