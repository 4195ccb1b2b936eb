import NIOCore
import NIOTLS
import PlexusCore

/// Client side of the data-frame case: once TLS is up, encodes and writes one `PeerFrame.data`
/// per message while the channel is writable (flushing every 64 KiB), until the deadline; then
/// closes after the last write completes. `TLSBlastHandler`'s loop, with the driver's encoding.
final class RoutingDataBlastHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let envelope: [UInt8]
    private let deadline: NIODeadline
    private let handshake: EventLoopPromise<String?>
    private let target = [NodeID(RoutingCluster.id("n2"))]
    private var rng = SplitMix64(seed: 11)
    private var sequence: UInt64 = 0
    private var writing = false
    private var finished = false

    init(envelope: [UInt8], duration: TimeAmount, handshake: EventLoopPromise<String?>) {
        self.envelope = envelope
        deadline = .now() + duration
        self.handshake = handshake
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event {
            handshake.succeed(negotiated)
            writing = true
            pump(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if writing { pump(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !writing && !finished {
            finished = true
            handshake.fail(error)
        }
        context.close(promise: nil)
    }

    private func frame() -> ByteBuffer {
        sequence += 1
        let id = MessageID.v7(now: Timestamp(microseconds: 1_750_000_000_000_000 + Int64(sequence)), rng: &rng)
        return ByteBuffer(bytes: PeerFrame.data(DataFrame(id: id, transmission: sequence, hopCount: 1, targets: target,
                                                          payload: envelope)).encoded())
    }

    private func pump(context: ChannelHandlerContext) {
        guard !finished else { return }
        var unflushed = 0
        while context.channel.isWritable {
            if NIODeadline.now() >= deadline {
                finished = true
                writing = false
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(frame())).whenComplete { _ in channel.close(promise: nil) }
                return
            }
            let next = frame()
            unflushed += next.readableBytes
            context.write(wrapOutboundOut(next), promise: nil)
            if unflushed >= 64 * 1024 {
                context.flush()
                unflushed = 0
            }
        }
        context.flush()
    }
}
