import NIOCore
import NIOPosix
import NIOSSL

/// One mutual-TLS connection on loopback measured from the server side: the server counts (and,
/// with `decodeFrames`, decodes peer frames) from its first read until the client closes; the
/// client's handler, made by `makeClient`, writes the load and reports the negotiated ALPN.
/// Shared by the TLS throughput and peer-link benchmarks, which differ only in that handler.
enum TLSPairMeasurement {
    static func run(
        decodeFrames: Bool, makeClient: @escaping @Sendable (EventLoopPromise<String?>) -> any ChannelHandler,
        server: NIOSSLContext, client: NIOSSLContext, serverGroup: any EventLoopGroup, clientGroup: any EventLoopGroup,
        timeLimit: Duration, what: String
    ) async throws -> TLSCountHandler.Tally {
        let done = serverGroup.next().makePromise(of: TLSCountHandler.Tally.self)
        let listener = try await ServerBootstrap(group: serverGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: server))
                    try channel.pipeline.syncOperations.addHandler(TLSCountHandler(decodeFrames: decodeFrames, done: done))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = listener.localAddress?.port else { throw BenchError("\(what) server has no port") }
        let handshake = clientGroup.next().makePromise(of: String?.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: clientGroup)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: client, serverHostname: nil))
                        try channel.pipeline.syncOperations.addHandler(makeClient(handshake))
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
        } catch {
            handshake.fail(error)
            done.fail(error)
            try? await listener.close()
            throw error
        }
        do {
            let negotiated = try await handshake.futureResult.get()
            guard negotiated == "plexus/1" else { throw BenchError("ALPN negotiated \(negotiated ?? "nothing"), expected plexus/1") }
            let tally = try await TimeLimit.run(timeLimit, what) { try await done.futureResult.get() }
            try? await channel.closeFuture.get()
            try? await listener.close()
            return tally
        } catch {
            channel.close(promise: nil)
            done.fail(error)
            try? await listener.close()
            throw error
        }
    }
}
