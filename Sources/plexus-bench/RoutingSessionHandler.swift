import NIOCore
import NIOWebSocket
import Synchronization

/// The agent side of a subject session: counts every delivered envelope and acknowledges all of
/// a read burst's messages in one `{"ack": [...]}` frame at the end of the burst (the inbox holds
/// every unacked message, so acks must keep up). With `recordLatency`, reads `bench_seq` and
/// `bench_t` from each envelope and records its latency against the time the frame was read;
/// every `keepEvery`-th message is kept whole for the per-hop breakdown.
///
/// Confined to the connection's event loop.
final class RoutingSessionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Below the node's 1 MiB session frame limit at 39 bytes per uuid.
    static let maxAcksPerFrame = 8_192

    private let tally: RoutingSessionTally
    private let recordLatency: Bool
    private let keepEvery: Int
    private var acks: ByteBuffer
    private var ackCount = 0
    private var delivered = 0
    private var samples: [RoutingSessionTally.Sample] = []
    private var kept: [RoutingSessionTally.Kept] = []
    private var unexpected: [String] = []

    init(tally: RoutingSessionTally, recordLatency: Bool, keepEvery: Int = 10) {
        self.tally = tally
        self.recordLatency = recordLatency
        self.keepEvery = max(1, keepEvery)
        acks = ByteBuffer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            let now = RoutingMessage.monotonicNow()
            let payload = frame.unmaskedData
            payload.withUnsafeReadableBytes { frameBytes in
                // One envelope per frame, or with `?frames=batch` a JSON array of them: each
                // envelope runs from the `{` before its `message_uuid` key (the node writes it
                // first) to the `,{` of the next, or to the frame's closing `]`. (The bench's own
                // message data never holds that key.)
                let batch = frameBytes.first == UInt8(ascii: "[")
                var rest = frameBytes
                var found = false
                while let at = RoutingMessage.find(RoutingMessage.uuidKey, in: rest) {
                    let after = at + RoutingMessage.uuidKey.count
                    let next = RoutingMessage.find(RoutingMessage.uuidKey, in: UnsafeRawBufferPointer(rebasing: rest[after...])).map { after + $0 }
                    let start = max(0, at - 1)
                    let end = next.map { $0 - 2 } ?? (batch ? rest.count - 1 : rest.count)
                    record(UnsafeRawBufferPointer(rebasing: rest[start..<max(start, end)]), receivedAt: now)
                    rest = UnsafeRawBufferPointer(rebasing: rest[(next.map { $0 - 1 } ?? rest.count)...])
                    found = true
                }
                if !found, unexpected.count < 5 { unexpected.append(String(decoding: frameBytes.prefix(300), as: UTF8.self)) }
            }
            if ackCount >= Self.maxAcksPerFrame { flushAcks(context: context) }
        case .ping:
            RoutingWebSocket.pong(to: frame, context: context)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    /// One delivered envelope: its ack is queued, its latency sampled.
    private func record(_ bytes: UnsafeRawBufferPointer, receivedAt now: UInt64) {
        guard let uuid = RoutingMessage.uuid(in: bytes) else {
            if unexpected.count < 5 { unexpected.append(String(decoding: bytes.prefix(300), as: UTF8.self)) }
            return
        }
        if ackCount == 0 {
            acks.clear()
            acks.writeStaticString("{\"ack\":[\"")
        } else {
            acks.writeStaticString(",\"")
        }
        acks.writeBytes(uuid)
        acks.writeStaticString("\"")
        ackCount += 1
        delivered += 1
        guard recordLatency,
              let seq = RoutingMessage.integer(after: RoutingMessage.seqKey, in: bytes),
              let sentAt = RoutingMessage.integer(after: RoutingMessage.monotonicKey, in: bytes)
        else { return }
        samples.append(.init(seq: Int(seq), nanos: now >= sentAt ? now - sentAt : 0))
        if Int(seq) % keepEvery == 0 {
            kept.append(.init(seq: Int(seq), receivedWall: RoutingMessage.wallMicroseconds(), frame: Array(bytes)))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushAcks(context: context)
        publish()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        publish()
        tally.closed.store(true, ordering: .relaxed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func flushAcks(context: ChannelHandlerContext) {
        guard ackCount > 0 else { return }
        acks.writeStaticString("]}")
        ackCount = 0
        context.writeAndFlush(wrapOutboundOut(RoutingWebSocket.text(acks)), promise: nil)
        acks = context.channel.allocator.buffer(capacity: 64 * 1024)
    }

    /// Hands the burst's counts to the tally: the delivered count first, so a reader that sees a
    /// count always finds its samples published no later than the next burst.
    private func publish() {
        guard delivered > 0 || !unexpected.isEmpty else { return }
        if delivered > 0 {
            tally.delivered.add(delivered, ordering: .relaxed)
            tally.lastAt.store(RoutingMessage.monotonicNow(), ordering: .relaxed)
        }
        if !samples.isEmpty || !kept.isEmpty || !unexpected.isEmpty {
            let (s, k, u) = (samples, kept, unexpected)
            tally.detail.withLock { d in
                d.samples.append(contentsOf: s)
                d.kept.append(contentsOf: k)
                if d.unexpected.count < 5 { d.unexpected.append(contentsOf: u.prefix(5 - d.unexpected.count)) }
            }
            samples.removeAll(keepingCapacity: true)
            kept.removeAll(keepingCapacity: true)
            unexpected.removeAll()
        }
        delivered = 0
    }
}
