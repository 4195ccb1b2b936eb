import NIOCore
import NIOWebSocket
import Synchronization

/// Publishes at a fixed rate over one WebSocket ingest connection, from that connection's own
/// event loop, exactly as `NATSPacedPublisher` paces the NATS reference: each tick (every
/// 1/rate, at least 100 µs) sends every message due by then — one message per frame at
/// 10,000/s, an array when a tick runs late — stamping each just before it is encoded.
/// Counts the node's acks (one per frame) and completes `done` once every frame is acked.
///
/// Confined to the connection's event loop.
final class RoutingPacedPublisher: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Messages per frame at most (about 330 KiB at 300-byte payloads).
    static let maxPerFrame = 500

    struct Outcome: Sendable {
        var sent = 0
        var frames = 0
        var acceptedFrames = 0
        var refusedFrames = 0
        var firstRefusal: String?
        var seconds = 0.0
    }

    private let message: RoutingMessage
    private let subject: String
    private let rate: UInt64
    private let total: Int
    private let tickNanos: UInt64
    private let done: EventLoopPromise<Outcome>
    private var start: UInt64 = 0
    private var outcome = Outcome()
    private var acked = 0
    private var finished = false

    init(message: RoutingMessage, subject: String, rate: Int, count: Int, done: EventLoopPromise<Outcome>) {
        precondition(rate > 0 && count > 0)
        self.message = message
        self.subject = subject
        self.rate = UInt64(rate)
        self.total = count
        tickNanos = max(100_000, 1_000_000_000 / UInt64(rate))
        self.done = done
    }

    func handlerAdded(context: ChannelHandlerContext) {
        start = RoutingMessage.monotonicNow()
        tick(context: context)
    }

    private func tick(context: ChannelHandlerContext) {
        guard !finished else { return }
        guard context.channel.isActive else {
            fail(BenchError("paced publisher connection closed after \(outcome.sent) of \(total) messages"))
            return
        }
        let elapsed = RoutingMessage.monotonicNow() - start
        let due = min(total, Int(elapsed * rate / 1_000_000_000) + 1)
        while due > outcome.sent {
            // A late tick (this thread starved of CPU) sends what is due in frames of at most
            // `maxPerFrame`, below the node's 1 MiB frame limit.
            let end = min(due, outcome.sent + Self.maxPerFrame)
            let many = end - outcome.sent > 1
            var text = context.channel.allocator.buffer(capacity: (end - outcome.sent) * (message.payloadBytes + 160))
            if many { text.writeStaticString("[") }
            for i in outcome.sent..<end {
                if i > outcome.sent { text.writeStaticString(",") }
                message.writeInput(to: subject, seq: i, monotonic: RoutingMessage.monotonicNow(), wall: RoutingMessage.wallMicroseconds(), into: &text)
            }
            if many { text.writeStaticString("]") }
            outcome.sent = end
            outcome.frames += 1
            context.write(wrapOutboundOut(RoutingWebSocket.text(text)), promise: nil)
        }
        context.flush()
        if outcome.sent >= total {
            outcome.seconds = Double(RoutingMessage.monotonicNow() - start) / 1e9
            return
        }
        let nextTick = (elapsed / tickNanos + 1) * tickNanos
        context.eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(start + nextTick)) { [self] in
            tick(context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            acked += 1
            let ack = frame.unmaskedData
            let ok = ack.withUnsafeReadableBytes { bytes in
                RoutingMessage.find(RoutingMessage.okKey, in: UnsafeRawBufferPointer(rebasing: bytes.prefix(24))) != nil
            }
            if ok {
                outcome.acceptedFrames += 1
            } else {
                outcome.refusedFrames += 1
                if outcome.firstRefusal == nil { outcome.firstRefusal = String(buffer: ack).prefix(400).description }
            }
            if outcome.sent >= total, acked >= outcome.frames, !finished {
                finished = true
                done.succeed(outcome)
            }
        case .ping:
            RoutingWebSocket.pong(to: frame, context: context)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(BenchError("paced publisher connection closed: \(acked) of \(outcome.frames) frames acked"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        guard !finished else { return }
        finished = true
        done.fail(error)
    }
}
