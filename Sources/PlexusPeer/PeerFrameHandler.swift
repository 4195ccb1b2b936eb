import NIOCore
import NIOSSL
import NIOTLS
import PlexusCore
import PlexusIdentity

/// The pipeline end of a peer link: checks who the peer is once TLS is up, turns bytes into
/// frames with the pure `PeerFrameDecoder`, and hands everything to the driver. It holds no
/// protocol logic; a decoding error closes the link with the decoder's reason.
final class PeerFrameHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let driver: MeshDriver
    private let link: PeerLink
    private var decoder: PeerFrameDecoder
    private var failed = false

    init(driver: MeshDriver, link: PeerLink, maxFrameBytes: Int) {
        self.driver = driver
        self.link = link
        self.decoder = PeerFrameDecoder(maxBodyBytes: maxFrameBytes)
    }

    func channelActive(context: ChannelHandlerContext) {
        link.channel = context.channel
        context.fireChannelActive()
    }

    /// An outbound link object outlives its connections: only the current one may change it
    /// (a late event of a replaced connection must not reset the live one).
    private func isCurrent(_ context: ChannelHandlerContext) -> Bool { link.channel === context.channel }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = tls, isCurrent(context) {
            guard negotiated == PeerTLS.alpn else {
                refuse(context, "peer did not negotiate ALPN \(PeerTLS.alpn) (got \(negotiated ?? "none"))")
                return
            }
            guard let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate(),
                  let der = try? certificate.toDERBytes() else {
                refuse(context, "peer presented no certificate")
                return
            }
            switch driver.trust.verify(certificateDER: der) {
            case .success(let node) where !node.namespace.allowsCluster(node.cluster):
                refuse(context, "peer \(node.nodeID) is in cluster \(node.cluster), which organisation \(node.organisation) may not use here")
            case .success(let node): driver.linkAuthenticated(link, as: node)
            case .failure(let error): refuse(context, "peer certificate refused: \(error)")
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed, isCurrent(context) else { return }
        let buffer = unwrapInboundIn(data)
        link.bytesReceived += buffer.readableBytes
        buffer.withUnsafeReadableBytes { decoder.feed($0) }
        do {
            while let frame = try decoder.next() {
                guard link.remote != nil else {
                    refuse(context, "frame before the TLS handshake completed")
                    return
                }
                driver.frameReceived(frame, on: link)
                if failed || !context.channel.isActive { return }
            }
        } catch {
            refuse(context, "bad frame: \(error)")
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { link.flush() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if isCurrent(context) {
            if !failed {
                do { try decoder.finish() } catch { driver.linkFailed(link, reason: "bad frame at close: \(error)") }
            }
            driver.linkClosed(link)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        refuse(context, "\(error)")
    }

    /// Logs `reason` once, tells the peer why (best effort) and closes.
    private func refuse(_ context: ChannelHandlerContext, _ reason: String) {
        guard !failed else { return }
        failed = true
        if isCurrent(context) { driver.linkFailed(link, reason: reason) }
        if link.remote != nil, isCurrent(context) {
            var goodbye = context.channel.allocator.buffer(capacity: 64)
            goodbye.writeBytes(PeerFrame.goodbye(reason: String(reason.prefix(200))).encoded())
            context.writeAndFlush(NIOAny(goodbye), promise: nil)
        }
        context.close(promise: nil)
    }
}
