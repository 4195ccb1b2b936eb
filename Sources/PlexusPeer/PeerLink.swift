import DequeModule
import NIOCore
import PlexusCore
import PlexusIdentity

/// One TLS connection to or from a peer, and (for outbound links) the dial state that outlives
/// each connection: backoff after failures and the frames waiting for the link to come up.
///
/// `@unchecked Sendable` because NIO closures must be `Sendable`, but a link is confined to the
/// mesh driver's single event loop: it is created, read and changed only there.
final class PeerLink: @unchecked Sendable {
    enum Direction: String { case inbound, outbound }

    let direction: Direction
    /// The `host:port` dialled (outbound) or the remote socket address (inbound).
    let address: String
    var channel: Channel?
    /// Who the peer is, from its certificate (set once the TLS handshake verified it).
    var remote: VerifiedNode?
    var hello: PeerHello?
    /// The node this outbound link was dialled for, when known: another node answering at the
    /// address is refused.
    var expected: NodeID?
    var lastHeard: NIODeadline = .now()
    /// When a frame was last written (an outbound link idle since then sends a heartbeat).
    var lastSent: NIODeadline = .now()
    var heartbeat: (nonce: UInt64, sent: NIODeadline)?
    var rttMilliseconds: Double?
    /// Encoded frames waiting for the handshake or for the socket to drain.
    var queue = Deque<ByteBuffer>()
    var queuedBytes = 0
    /// A dial is in flight; frames queue until it completes.
    var connecting = false
    var failures = 0
    var retryAt: NIODeadline?
    var framesSent = 0
    var framesReceived = 0
    var bytesSent = 0
    var bytesReceived = 0
    var dropped = 0

    init(direction: Direction, address: String) {
        self.direction = direction
        self.address = address
    }

    var isReady: Bool { channel != nil && remote != nil }

    /// Queues `frame`, dropping the oldest beyond `limit` frames or `byteLimit` bytes (the new
    /// frame always stays), and writes what the socket takes. Returns how many were dropped.
    @discardableResult
    func send(_ frame: ByteBuffer, limit: Int, byteLimit: Int, flushNow: Bool = true) -> Int {
        queue.append(frame)
        queuedBytes += frame.readableBytes
        var dropped = 0
        while queue.count > 1, queue.count > limit || queuedBytes > byteLimit, let old = queue.popFirst() {
            queuedBytes -= old.readableBytes
            dropped += 1
        }
        self.dropped += dropped
        // Data frames are written in bursts and flushed once per burst (one TLS record and one
        // syscall for many frames); everything else goes out at once.
        if flushNow { flush() }
        return dropped
    }

    /// Empties the queue (the link is down); returns how many frames were thrown away.
    func discardQueue() -> Int {
        let count = queue.count
        queue.removeAll()
        queuedBytes = 0
        dropped += count
        return count
    }

    /// Writes queued frames while the link is up and its socket writable (NIO's high-water mark
    /// turns writability off, so a slow peer backs frames up here, bounded, not in NIO's buffer).
    ///
    /// Frames are written in runs of up to `coalesceBytes`, copied into one buffer. TLS seals
    /// each write as a record of its own, so frame by frame a burst of 700-byte data frames cost
    /// a record each on both ends — sealing and opening, a header and a tag, and one trip
    /// through the channel pipeline per frame. A run stops at the limit, and a frame as large
    /// as the limit (or one that fits with no neighbour) goes alone, uncopied.
    func flush() {
        guard let channel, remote != nil, channel.isActive else { return }
        var wrote = false
        while channel.isWritable, let first = queue.first {
            // The run: the frames from the front that fit one record together (at least one).
            var count = 1, bytes = first.readableBytes
            while count < queue.count, bytes + queue[count].readableBytes <= Self.coalesceBytes {
                bytes += queue[count].readableBytes
                count += 1
            }
            var run: ByteBuffer
            if count == 1 {
                run = queue.removeFirst()
            } else {
                run = channel.allocator.buffer(capacity: bytes)
                for _ in 0..<count {
                    var frame = queue.removeFirst()
                    run.writeBuffer(&frame)
                }
            }
            framesSent += count
            queuedBytes -= bytes
            bytesSent += bytes
            channel.write(run, promise: nil)
            wrote = true
        }
        if wrote {
            channel.flush()
            lastSent = .now()
        }
    }

    /// The most bytes of frames copied into one write: one TLS record's plaintext (16 KiB).
    static let coalesceBytes = 16_384

    func close() {
        channel?.close(promise: nil)
    }
}
