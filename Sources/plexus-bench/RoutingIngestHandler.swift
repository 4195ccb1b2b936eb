import NIOCore
import NIOWebSocket
import Synchronization

/// One WebSocket ingest connection (`/v1/messages/ws`) that writes the same batch frame over and
/// over, keeping up to `maxInFlight` frames unacknowledged (the node reads ahead up to 256 per
/// connection and acks in order), while `mayAdd(perFrame)` allows — the benchmark bounds the
/// messages admitted but not yet delivered, as the NATS reference bounds its publisher, so a
/// forwarder slower than ingest shows as a lower rate, not as a full outbox and refusals.
///
/// Confined to the connection's event loop; `RoutingLoadTally.stopping` ends it (frames in flight
/// are still acknowledged), then `drained` completes.
final class RoutingIngestHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let body: ByteBuffer
    private let perFrame: Int
    private let maxInFlight: Int
    private let tally: RoutingLoadTally
    private let mayAdd: @Sendable (Int) -> Bool
    private let drained: EventLoopPromise<Void>
    private var inFlight = 0
    private var recheck: Scheduled<Void>?
    private var finished = false

    init(body: ByteBuffer, perFrame: Int, maxInFlight: Int, tally: RoutingLoadTally,
         mayAdd: @escaping @Sendable (Int) -> Bool, drained: EventLoopPromise<Void>) {
        self.body = body
        self.perFrame = perFrame
        self.maxInFlight = maxInFlight
        self.tally = tally
        self.mayAdd = mayAdd
        self.drained = drained
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Added once the upgrade is done: the connection is open.
        pump(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            inFlight -= 1
            let ack = frame.unmaskedData
            let ok = ack.withUnsafeReadableBytes { bytes in
                RoutingMessage.find(RoutingMessage.okKey, in: UnsafeRawBufferPointer(rebasing: bytes.prefix(24))) != nil
            }
            if ok {
                tally.accepted.add(perFrame, ordering: .relaxed)
            } else {
                tally.refused.add(perFrame, ordering: .relaxed)
                tally.firstRefusal.withLock { first in
                    if first == nil { first = String(buffer: ack).prefix(400).description }
                }
            }
            pump(context: context)
        case .ping:
            RoutingWebSocket.pong(to: frame, context: context)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        pump(context: context)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        recheck?.cancel()
        finish(BenchError("ingest connection closed with \(inFlight) frames unacknowledged"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func pump(context: ChannelHandlerContext) {
        if tally.stopping.load(ordering: .relaxed) {
            if inFlight == 0 { finish(nil) }
            return
        }
        var wrote = false
        while inFlight < maxInFlight, context.channel.isWritable {
            guard mayAdd(perFrame) else {
                // The window is full: look again shortly (acks on this connection also wake it).
                if recheck == nil {
                    recheck = context.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(500)) { [self] in
                        recheck = nil
                        pump(context: context)
                    }
                }
                break
            }
            tally.sent.add(perFrame, ordering: .relaxed)
            inFlight += 1
            context.write(wrapOutboundOut(RoutingWebSocket.text(body)), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
    }

    private func finish(_ error: (any Error)?) {
        guard !finished else { return }
        finished = true
        if let error, !tally.stopping.load(ordering: .relaxed) { drained.fail(error) } else { drained.succeed() }
    }
}
