import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import PlexusIdentity

/// A TLS client that speaks raw bytes to a node's peer port, for tests that must misbehave the
/// way a real peer never would: garbage, a future version, a lying length, a cut-off frame.
enum PeerTestClient {
    struct Outcome {
        /// Everything the node sent before the connection ended.
        var received: [UInt8]
        /// Whether the TLS handshake completed.
        var handshook: Bool
    }

    /// Connects with `identity`, trusting `ca`, offering `alpn`; after the handshake writes
    /// `payload` and, with `closeOutput`, half-closes (the node sees the stream end there).
    static func exchange(port: Int, identity: NodeIdentity, ca: String, alpn: [String] = ["plexus/1"],
                         payload: [UInt8], closeOutput: Bool = false) async throws -> Outcome {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .file(ca)
        tls.certificateChain = [.certificate(try NIOSSLCertificate(bytes: identity.certificateDER, format: .der))]
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.tlsKeyPEM.utf8), format: .pem))
        tls.applicationProtocols = alpn
        let context = try NIOSSLContext(configuration: tls)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let done = loop.makePromise(of: Outcome.self)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(Collector(payload: payload, closeOutput: closeOutput, done: done))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        // Never wait forever: a node that neither answers nor closes fails the test by timeout.
        loop.scheduleTask(in: .seconds(20)) { channel.close(promise: nil) }
        return try await done.futureResult.get()
    }

    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let payload: [UInt8]
        let closeOutput: Bool
        let done: EventLoopPromise<Outcome>
        var outcome = Outcome(received: [], handshook: false)

        init(payload: [UInt8], closeOutput: Bool, done: EventLoopPromise<Outcome>) {
            self.payload = payload
            self.closeOutput = closeOutput
            self.done = done
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
                outcome.handshook = true
                context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: payload)), promise: nil)
                if closeOutput { context.close(mode: .output, promise: nil) }
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            outcome.received += Array(buffer: unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            done.succeed(outcome)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
