import NIOCore
import NIOEmbedded
import PlexusCore
import PlexusIdentity
import Testing
@testable import PlexusPeer

/// A link writes queued frames in runs of up to one TLS record's plaintext, so a burst of data
/// frames costs a few records instead of one each. The byte stream must stay exactly the frames,
/// in order, and the link's counters must still count frames.
@Suite struct PeerLinkCoalescingTests {
    /// A ready link on an embedded channel: verified peer, channel active and writable.
    func readyLink() throws -> (PeerLink, EmbeddedChannel) {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let link = PeerLink(direction: .outbound, address: "127.0.0.1:1")
        link.channel = channel
        link.remote = VerifiedNode(nodeID: "acme/c/n2", organisation: "acme", cluster: "c", name: "n2", signingKey: [],
                                   namespace: Namespace(subjects: nil, backbones: nil, clusters: nil))
        return (link, channel)
    }

    /// Frames of `sizes` bytes, each filled with its own index so order and boundaries show.
    func frames(_ sizes: [Int]) -> [ByteBuffer] {
        sizes.enumerated().map { i, size in ByteBuffer(bytes: Array(repeating: UInt8(truncatingIfNeeded: i), count: size)) }
    }

    func writes(_ channel: EmbeddedChannel) throws -> [ByteBuffer] {
        var out: [ByteBuffer] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { out.append(buffer) }
        return out
    }

    @Test func aBurstGoesOutInRunsOfOneRecordWithEveryByteInOrder() throws {
        let (link, channel) = try readyLink()
        // 700-byte data frames, a frame above the run limit in the middle, then small ones again.
        let sizes = Array(repeating: 700, count: 50) + [PeerLink.coalesceBytes + 1] + Array(repeating: 90, count: 30)
        let queued = frames(sizes)
        for frame in queued { link.send(frame, limit: 10_000, byteLimit: 1 << 30, flushNow: false) }
        #expect(try writes(channel).isEmpty, "nothing is written before the flush")
        link.flush()
        let written = try writes(channel)
        var expected = ByteBuffer()
        for var frame in queued { expected.writeBuffer(&frame) }
        var joined = ByteBuffer()
        for var write in written { joined.writeBuffer(&write) }
        #expect(joined == expected)
        // 50 × 700 B fill runs of 23 frames (16,100 B), the large frame goes alone, the small ones share one run.
        #expect(written.map(\.readableBytes) == [16_100, 16_100, 2_800, PeerLink.coalesceBytes + 1, 2_700])
        #expect(link.framesSent == sizes.count)
        #expect(link.bytesSent == sizes.reduce(0, +))
        #expect(link.queue.isEmpty && link.queuedBytes == 0)
    }

    @Test func aFrameOfExactlyOneRecordGoesAlone() throws {
        let (link, channel) = try readyLink()
        for frame in frames([100, PeerLink.coalesceBytes, 100, PeerLink.coalesceBytes - 100, 1]) {
            link.send(frame, limit: 100, byteLimit: 1 << 30, flushNow: false)
        }
        link.flush()
        // 100 + 16,384 would overflow a record; 100 + 16,284 fills one exactly; the last byte goes alone.
        #expect(try writes(channel).map(\.readableBytes) == [100, PeerLink.coalesceBytes, PeerLink.coalesceBytes, 1])
        #expect(link.framesSent == 5)
    }

    /// A socket that stops taking data (NIO's high-water mark) keeps the rest queued, counted,
    /// until it drains; nothing is lost or reordered across the pause.
    @Test func framesWaitWhileTheSocketIsNotWritable() throws {
        let (link, channel) = try readyLink()
        let queued = frames(Array(repeating: 700, count: 40))
        for frame in queued[..<30] { link.send(frame, limit: 1_000, byteLimit: 1 << 30, flushNow: false) }
        channel.isWritable = false
        link.flush()
        #expect(try writes(channel).isEmpty)
        #expect(link.queue.count == 30 && link.queuedBytes == 30 * 700 && link.framesSent == 0)
        for frame in queued[30...] { link.send(frame, limit: 1_000, byteLimit: 1 << 30, flushNow: false) }
        channel.isWritable = true
        link.flush()
        var joined = ByteBuffer()
        for var write in try writes(channel) { joined.writeBuffer(&write) }
        var expected = ByteBuffer()
        for var frame in queued { expected.writeBuffer(&frame) }
        #expect(joined == expected)
        #expect(link.framesSent == 40 && link.queuedBytes == 0)
    }

    @Test func aLoneFrameIsWrittenAsItIs() throws {
        let (link, channel) = try readyLink()
        link.send(ByteBuffer(bytes: [1, 2, 3]), limit: 10, byteLimit: 1 << 20)
        #expect(try writes(channel) == [ByteBuffer(bytes: [1, 2, 3])])
        #expect(link.framesSent == 1 && link.queuedBytes == 0)
    }
}
