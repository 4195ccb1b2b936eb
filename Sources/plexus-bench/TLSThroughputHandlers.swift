import NIOCore
import NIOTLS
import PlexusCore

/// What the throughput client writes: one 64 KiB buffer over and over (raw TLS), or peer frames
/// encoded one by one as a link would (`PeerFrame.encoded()` per frame).
enum TLSThroughputPayload: Sendable {
    case raw(chunkBytes: Int)
    /// `PeerFrame.mesh(.syncUpdate(entries:))` with `entries` registry entries of `payloadBytes`.
    case frames(entries: Int, payloadBytes: Int)

    /// The frame the client sends as its `sequence`-th: a full anti-entropy update, the largest
    /// message the mesh sends, with signed-size (64-byte) signatures and JSON-like payloads.
    static func frame(entries: Int, payloadBytes: Int, sequence: UInt64) -> PeerFrame {
        let owner = NodeID("bench/c/client")
        let filler = Array(#"{"subject":"orders.eu-west","owner":"bench/c/client","note":""#.utf8)
        var payload = filler + [UInt8](repeating: UInt8(ascii: "x"), count: max(0, payloadBytes - filler.count - 2))
        payload += Array(#""}"#.utf8)
        let list = (0..<entries).map { i in
            RegistryEntry(
                key: RegistryKey(owner: owner, kind: .subject, id: "orders.eu-west.\(i)"),
                version: EntryVersion(generation: 1, counter: sequence &* UInt64(entries) &+ UInt64(i)),
                payload: payload, signature: [UInt8](repeating: 0xA5, count: 64)
            )
        }
        return .mesh(.syncUpdate(members: [], entries: list))
    }
}

/// Client side: once the TLS handshake completes (with ALPN `plexus/1`), writes the payload as
/// fast as the channel accepts it — flushing every 64 KiB and pausing while the channel is not
/// writable — until the deadline or the byte limit, then closes.
final class TLSBlastHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let payload: TLSThroughputPayload
    private let deadline: NIODeadline
    private let byteLimit: Int
    private let handshake: EventLoopPromise<String?>
    private var raw: ByteBuffer?
    private var sent = 0
    private var sequence: UInt64 = 0
    private var writing = false
    private var finished = false

    init(payload: TLSThroughputPayload, duration: TimeAmount, byteLimit: Int, handshake: EventLoopPromise<String?>) {
        self.payload = payload
        deadline = .now() + duration
        self.byteLimit = byteLimit
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
        if !writing && !finished {  // before the handshake completed
            finished = true
            handshake.fail(error)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !writing && !finished {
            finished = true
            handshake.fail(BenchError("connection closed before the TLS handshake completed"))
        }
        writing = false
        finished = true
        context.fireChannelInactive()
    }

    private func nextChunk(_ allocator: ByteBufferAllocator) -> ByteBuffer {
        switch payload {
        case .raw(let size):
            if raw == nil { raw = allocator.buffer(repeating: 0x5A, count: size) }
            return raw!  // copy-on-write: the same storage every time, no copy
        case .frames(let entries, let payloadBytes):
            sequence += 1
            return allocator.buffer(bytes: TLSThroughputPayload.frame(entries: entries, payloadBytes: payloadBytes, sequence: sequence).encoded())
        }
    }

    private func pump(context: ChannelHandlerContext) {
        guard !finished else { return }
        var unflushed = 0
        while context.channel.isWritable {
            if sent >= byteLimit || NIODeadline.now() >= deadline {
                finished = true
                writing = false
                // A last chunk whose completion means every earlier one reached the socket too;
                // only then close (closing earlier would drop queued writes).
                let last = nextChunk(context.channel.allocator)
                sent += last.readableBytes
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(last)).whenComplete { _ in channel.close(promise: nil) }
                return
            }
            let chunk = nextChunk(context.channel.allocator)
            sent += chunk.readableBytes
            unflushed += chunk.readableBytes
            context.write(wrapOutboundOut(chunk), promise: nil)
            if unflushed >= 64 * 1024 {
                context.flush()
                unflushed = 0
            }
        }
        context.flush()
    }
}

/// Server side: counts bytes, and with a decoder also frames (`PeerFrameDecoder.feed`, then `next()`
/// until nil, exactly as the peer link does), from the first byte read to end of stream.
final class TLSCountHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    struct Tally: Sendable {
        var bytes = 0
        var frames = 0
        var first: NIODeadline?
        var last: NIODeadline?

        var seconds: Double {
            guard let first, let last else { return 0 }
            return Double((last - first).nanoseconds) / 1e9
        }
    }

    private var decoder: PeerFrameDecoder?
    private var tally = Tally()
    private var failed = false
    private let done: EventLoopPromise<Tally>

    init(decodeFrames: Bool, done: EventLoopPromise<Tally>) {
        decoder = decodeFrames ? PeerFrameDecoder() : nil
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let now = NIODeadline.now()
        if tally.first == nil { tally.first = now }
        tally.last = now
        tally.bytes += buffer.readableBytes
        guard decoder != nil, !failed else { return }
        do {
            decoder!.feed(buffer.readableBytesView)
            while try decoder!.next() != nil { tally.frames += 1 }
        } catch {
            failed = true
            done.fail(BenchError("server could not decode the frame stream: \(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !failed { done.succeed(tally) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A peer closing without close_notify still delivered every byte counted so far.
        context.close(promise: nil)
    }
}
