import Testing
@testable import PlexusCore

/// Frames of every kind, with non-trivial content.
enum PeerFrameSamples {
    static let hello = PeerHello(node: MeshCodecSamples.owner, address: "[2001:db8::1]:7946", generation: 1_700_000_000_123)
    static let linkFrames: [PeerFrame] = [
        .hello(hello),
        .hello(PeerHello(protocolVersion: 0, node: "", address: "", generation: 0)),
        .hello(PeerHello(protocolVersion: .max, node: "a/b/c", address: "h:1", generation: .max)),
        .heartbeat(nonce: 0),
        .heartbeat(nonce: 0xDEAD_BEEF_CAFE_F00D),
        .heartbeatAck(nonce: .max),
        .goodbye(reason: ""),
        .goodbye(reason: "shutting down ✓"),
    ]
    static let all: [PeerFrame] = linkFrames + MeshCodecSamples.messages.map(PeerFrame.mesh)

    /// A short mixed stream: hello, a ping and an ack with gossip, heartbeats, goodbye.
    static let conversation: [PeerFrame] = [
        .hello(hello),
        .mesh(.ping(seq: 7, gossip: Array(MeshCodecSamples.gossip.prefix(3)))),
        .heartbeat(nonce: 42),
        .mesh(.ack(seq: 7, gossip: [MeshCodecSamples.gossip[3]])),
        .heartbeatAck(nonce: 42),
        .mesh(.nack(seq: 1)),
        .goodbye(reason: "bye"),
    ]

    static func stream(_ frames: [PeerFrame]) -> [UInt8] { frames.flatMap { $0.encoded() } }

    static func header(length: UInt32, version: UInt8 = PeerFrame.version) -> [UInt8] {
        [UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8),
         UInt8(truncatingIfNeeded: length), version]
    }
}

@Suite struct PeerFrameDecoderTests {
    /// Feeds `bytes` in chunks of the given sizes (cycled), draining after each feed, then finishes.
    static func decodeAll(_ bytes: [UInt8], chunks: [Int] = [Int.max],
                          decoder: PeerFrameDecoder = PeerFrameDecoder()) throws(PeerFrameError) -> [PeerFrame] {
        var d = decoder
        var frames: [PeerFrame] = []
        var at = 0, i = 0
        while at < bytes.count {
            let n = min(max(chunks[i % chunks.count], 1), bytes.count - at)
            d.feed(bytes[at..<at + n])
            at += n
            i += 1
            while let f = try d.next() { frames.append(f) }
        }
        try d.finish()
        return frames
    }

    static func nextError(_ d: inout PeerFrameDecoder) -> PeerFrameError? {
        do {
            _ = try d.next()
            return nil
        } catch {
            return error
        }
    }

    static func finishError(_ d: inout PeerFrameDecoder) -> PeerFrameError? {
        do {
            try d.finish()
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Encoding

    @Test(arguments: PeerFrameSamples.all)
    func roundTrip(_ frame: PeerFrame) throws {
        let bytes = frame.encoded()
        #expect(Array(bytes.prefix(5)) == PeerFrameSamples.header(length: UInt32(bytes.count - 5)))
        #expect(try PeerFrame.decode(body: Array(bytes.dropFirst(5))) == frame)
        #expect(try Self.decodeAll(bytes) == [frame])
    }

    @Test(arguments: MeshCodecSamples.messages)
    func meshBodyIsTheMeshCodecEncoding(_ message: MeshMessage) {
        let bytes = PeerFrame.mesh(message).encoded()
        #expect(Array(bytes.dropFirst(MeshCodec.frameOverhead)) == MeshCodec.encode(message))
        #expect(bytes.count == MeshCodec.size(of: message) + MeshCodec.frameOverhead)
        #expect(PeerFrame.headerSize == 5)
    }

    @Test func linkFramesHaveTheirDocumentedLayout() {
        #expect(PeerFrame.heartbeat(nonce: 0x0102_0304_0506_0708).encoded() == [0, 0, 0, 9, 1, 0x41, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(PeerFrame.heartbeatAck(nonce: 1).encoded() == [0, 0, 0, 9, 1, 0x42, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(PeerFrame.goodbye(reason: "ok").encoded() == [0, 0, 0, 4, 1, 0x43, 2, 0x6F, 0x6B])
        let hello = PeerFrame.hello(PeerHello(node: "n", address: "h:1", generation: 2)).encoded()
        #expect(hello == [0, 0, 0, 16, 1, 0x40, 1, 1, 0x6E, 3, 0x68, 0x3A, 0x31, 0, 0, 0, 0, 0, 0, 0, 2])
    }

    @Test func longGoodbyeReasonIsCutAtACharacterBoundary() throws {
        let reason = String(repeating: "a", count: PeerFrame.maxReasonBytes - 1) + "é and more"
        guard case .goodbye(let sent) = try PeerFrame.decode(body: Array(PeerFrame.goodbye(reason: reason).encoded().dropFirst(5))) else {
            Issue.record("not a goodbye")
            return
        }
        #expect(sent == String(repeating: "a", count: PeerFrame.maxReasonBytes - 1))
    }

    // MARK: - Streaming

    @Test func severalFramesInOneFeed() throws {
        var d = PeerFrameDecoder()
        d.feed(PeerFrameSamples.stream(PeerFrameSamples.all))
        var frames: [PeerFrame] = []
        while let f = try d.next() { frames.append(f) }
        #expect(frames == PeerFrameSamples.all)
        #expect(d.bufferedBytes == 0)
        #expect(d.storedBytes == 0)
        try d.finish()
    }

    @Test func oneByteAtATime() throws {
        let bytes = PeerFrameSamples.stream(PeerFrameSamples.all)
        #expect(try Self.decodeAll(bytes, chunks: [1]) == PeerFrameSamples.all)
    }

    @Test func splitAtEveryBoundary() throws {
        let bytes = PeerFrameSamples.stream(PeerFrameSamples.conversation)
        for cut in 0...bytes.count {
            var d = PeerFrameDecoder()
            var frames: [PeerFrame] = []
            d.feed(bytes[..<cut])
            while let f = try d.next() { frames.append(f) }
            d.feed(bytes[cut...])
            while let f = try d.next() { frames.append(f) }
            try d.finish()
            #expect(frames == PeerFrameSamples.conversation, "cut at \(cut)")
        }
    }

    @Test func aDrainedDecoderHoldsAtMostOneFramePlusOneChunk() throws {
        let frames = (0..<50).map { i in PeerFrame.mesh(.ping(seq: UInt32(i), gossip: Array(MeshCodecSamples.gossip.prefix(i % 7)))) }
        let bytes = PeerFrameSamples.stream(frames)
        let largest = frames.map { $0.encoded().count }.max()!
        let chunk = 97
        var d = PeerFrameDecoder()
        var decoded: [PeerFrame] = []
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            d.feed(bytes[start..<min(start + chunk, bytes.count)])
            #expect(d.storedBytes <= largest + chunk)
            while let f = try d.next() { decoded.append(f) }
            #expect(d.storedBytes < largest)
        }
        #expect(decoded == frames)
    }

    // MARK: - Errors

    @Test func oversizedLengthThrowsBeforeTheBodyArrives() throws {
        var d = PeerFrameDecoder(maxBodyBytes: 1_000)
        let header = PeerFrameSamples.header(length: 1_001)
        d.feed(header.prefix(4))
        #expect(try d.next() == nil)
        d.feed(header.suffix(1))
        let expected = PeerFrameError(.oversized, "frame of 1001 bytes exceeds the 1000-byte limit")
        #expect(throws: expected) { try d.next() }
        #expect(d.bufferedBytes == 0)

        var big = PeerFrameDecoder()
        big.feed(PeerFrameSamples.header(length: .max))
        #expect(throws: PeerFrameError(.oversized, "frame of 4294967295 bytes exceeds the 4194304-byte limit")) { try big.next() }
    }

    @Test func aBodyOfExactlyTheLimitIsAccepted() throws {
        let frame = PeerFrame.goodbye(reason: "x")
        let bytes = frame.encoded()
        #expect(try Self.decodeAll(bytes, decoder: PeerFrameDecoder(maxBodyBytes: bytes.count - 5)) == [frame])
    }

    @Test func wrongVersionThrows() {
        var d = PeerFrameDecoder()
        d.feed(PeerFrameSamples.header(length: 9, version: 7))
        #expect(throws: PeerFrameError(.unsupportedVersion, "version 7 is not supported (this node speaks 1)")) { try d.next() }
    }

    @Test(arguments: [UInt8(0), 10, 0x3F, 0x44, 0x99, 0xFF])
    func unknownTagThrows(_ tag: UInt8) {
        var d = PeerFrameDecoder()
        d.feed(PeerFrameSamples.header(length: 9) + [tag] + [UInt8](repeating: 0, count: 8))
        let e = Self.nextError(&d)
        #expect(e?.code == .unknownTag)
        #expect(PeerFrameError.unknownTag(0x99).message == "unknown frame tag 0x99")
        #expect(PeerFrameError.unknownTag(0x0A).message == "unknown frame tag 0x0A")
    }

    @Test func malformedBodiesNameTheFrameAndField() {
        #expect(throws: PeerFrameError(.malformed, "malformed frame: empty body has no tag")) { try PeerFrame.decode(body: []) }
        #expect(throws: PeerFrameError(.malformed, "malformed hello: node id: badCount at byte 2")) {
            try PeerFrame.decode(body: [0x40, 1, 9, 0x61])
        }
        #expect(throws: PeerFrameError(.malformed, "malformed heartbeat: nonce: truncated at byte 1")) {
            try PeerFrame.decode(body: [0x41, 1, 2, 3])
        }
        #expect(throws: PeerFrameError(.malformed, "malformed heartbeat ack: end: trailingBytes at byte 9")) {
            try PeerFrame.decode(body: [0x42, 0, 0, 0, 0, 0, 0, 0, 1, 0])
        }
        #expect(throws: PeerFrameError(.malformed, "malformed goodbye: reason: badUTF8 at byte 1")) {
            try PeerFrame.decode(body: [0x43, 2, 0xFF, 0xFE])
        }
        #expect(throws: PeerFrameError(.malformed, "malformed mesh message: gossip.type: unknownType at byte 6")) {
            try PeerFrame.decode(body: [1, 0, 0, 0, 7, 1, 9, 0, 0])
        }
    }

    @Test func garbageBodiesThrowMalformedOrUnknownTag() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let n = Int.random(in: 1...200, using: &rng)
            let body = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var d = PeerFrameDecoder()
            d.feed(PeerFrameSamples.header(length: UInt32(n)) + body)
            do {
                _ = try d.next()  // a random body may happen to be valid
            } catch {
                #expect([.malformed, .unknownTag].contains(error.code), "\(error)")
            }
        }
    }

    @Test func truncatedStreamThrowsAtFinishWithTheByteCounts() throws {
        var d = PeerFrameDecoder()
        d.feed([0, 0, 0])
        #expect(try d.next() == nil)
        #expect(throws: PeerFrameError(.truncated, "connection closed 3 bytes into a 5-byte frame header")) { try d.finish() }

        let bytes = PeerFrame.heartbeat(nonce: 1).encoded()  // 14 bytes
        d = PeerFrameDecoder()
        d.feed(bytes + bytes.prefix(10))
        #expect(try d.next() == .heartbeat(nonce: 1))
        #expect(try d.next() == nil)
        #expect(d.bufferedBytes == 10)
        #expect(throws: PeerFrameError(.truncated, "connection closed 10 bytes into a 14-byte frame")) { try d.finish() }

        // Finishing without having drained: a complete frame is not a truncation.
        d = PeerFrameDecoder()
        d.feed(bytes)
        try d.finish()
        #expect(try d.next() == .heartbeat(nonce: 1))
        try d.finish()
    }

    @Test func afterAnErrorEveryCallThrowsTheSameError() {
        var d = PeerFrameDecoder()
        d.feed(PeerFrameSamples.header(length: 1) + [0x99] + PeerFrame.heartbeat(nonce: 1).encoded())
        let first = Self.nextError(&d)
        #expect(first?.code == .unknownTag)
        d.feed(PeerFrame.heartbeat(nonce: 2).encoded())
        #expect(d.bufferedBytes == 0)
        for _ in 0..<3 {
            #expect(Self.nextError(&d) == first)
            #expect(Self.finishError(&d) == first)
        }
    }

    // MARK: - Fuzz

    /// Feeds `bytes` in random chunk sizes. Whatever the input, the decoder yields at most one frame
    /// per 5 bytes, every frame it yields re-encodes to a frame that decodes to itself, and an error
    /// leaves it failed with that error.
    static func fuzzOne(_ bytes: [UInt8], maxBody: Int, rng: inout SplitMix64) -> [PeerFrame]? {
        var d = PeerFrameDecoder(maxBodyBytes: maxBody)
        var frames: [PeerFrame] = []
        var at = 0
        do {
            while at < bytes.count {
                let n = min(Int.random(in: 1...64, using: &rng), bytes.count - at)
                d.feed(bytes[at..<at + n])
                at += n
                while let f = try d.next() {
                    frames.append(f)
                    #expect(frames.count <= bytes.count / 5)
                    #expect(try PeerFrame.decode(body: Array(f.encoded().dropFirst(5))) == f)
                }
            }
            try d.finish()
            return frames
        } catch {
            #expect(Self.nextError(&d) == error)
            #expect(Self.finishError(&d) == error)
            return nil
        }
    }

    @Test func fuzzRandomBytes() {
        var rng = SplitMix64(seed: 0x5EED)
        for _ in 0..<2_000 {
            var bytes = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Half the time give it a plausible header so the body decoders get exercised too.
            if Bool.random(using: &rng), bytes.count >= 6 {
                bytes.replaceSubrange(0..<5, with: PeerFrameSamples.header(length: UInt32(Int.random(in: 1...bytes.count - 5, using: &rng))))
            }
            _ = Self.fuzzOne(bytes, maxBody: 256, rng: &rng)
        }
    }

    @Test func fuzzMutatedValidFrames() {
        var rng = SplitMix64(seed: 42)
        let encoded = PeerFrameSamples.all.map { $0.encoded() }
        var intact = 0
        for _ in 0..<2_000 {
            let picks = (0..<Int.random(in: 1...3, using: &rng)).map { _ in Int.random(in: 0..<encoded.count, using: &rng) }
            let original = picks.flatMap { encoded[$0] }
            var bytes = original
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0:  // flip a byte
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
                case 1:  // drop a byte
                    bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
                case 2:  // insert a byte
                    bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                default:  // cut the stream
                    bytes.removeLast(Int.random(in: 0..<bytes.count, using: &rng))
                }
                if bytes.isEmpty { break }
            }
            let frames = Self.fuzzOne(bytes, maxBody: 4 << 20, rng: &rng)
            if bytes == original {
                intact += 1
                #expect(frames == picks.map { PeerFrameSamples.all[$0] })
            }
        }
        #expect(intact > 100)
    }
}
