/// One frame on a TLS peer link: a mesh message, or one of the few link-level frames that open,
/// keep alive and close the link.
///
/// Wire format: `[length: UInt32 big-endian][version: UInt8][body: length bytes]`. `length`
/// counts the body only, so the header is always `headerSize` (= `MeshCodec.frameOverhead`) bytes
/// and a reader knows how much to wait for before it has to look at the body. The body's first
/// byte is its tag: mesh messages keep `MeshCodec`'s tags (1...9) and their body *is*
/// `MeshCodec.encode(message)`, so the simulator's size accounting matches the wire; link frames
/// use tags from 0x40, leaving room for new mesh messages below.
///
/// `PeerFrameDecoder` cuts a byte stream into bodies; `decode(body:)` turns one body into a frame.
public enum PeerFrame: Sendable, Equatable {
    /// Sent first by both sides once TLS is up.
    case hello(PeerHello)
    case mesh(MeshMessage)
    /// Link liveness and round-trip time: the peer answers with `heartbeatAck` echoing `nonce`.
    case heartbeat(nonce: UInt64)
    case heartbeatAck(nonce: UInt64)
    /// Sent before an orderly close, or before closing for a protocol error (then `reason` is the
    /// error's message), so the other side logs why rather than just "connection reset".
    case goodbye(reason: String)
    /// A message handed on for forwarding or delivery (docs/routing.md).
    case data(DataFrame)
    /// Custody acknowledgements for data frames, batched.
    case acks([DataAck])

    /// The frame format version in every header. A node that sees another version closes the
    /// link: the length prefix of a different version cannot be trusted to frame the stream.
    public static let version: UInt8 = 1

    /// Length (4) + version (1). `MeshCodec.frameOverhead` is the same number, for size accounting
    /// in code that knows nothing of links.
    public static var headerSize: Int { MeshCodec.frameOverhead }

    /// The longest goodbye reason sent and accepted, in UTF-8 bytes. Longer reasons are cut (at a
    /// character boundary) when encoding, so a verbose error cannot make the goodbye itself invalid.
    public static let maxReasonBytes = 1_024

    enum LinkTag: UInt8 {
        case hello = 0x40, heartbeat, heartbeatAck, goodbye
        case data = 0x50, acks
    }

    // MARK: - Encoding

    /// The whole frame, header included, ready to write to the link.
    ///
    /// One buffer: the header is reserved up front and its length patched once the body is written,
    /// so a mesh message is not encoded twice (once to measure) or copied behind a header.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: capacityHint)
        w.u32(0)
        w.u8(Self.version)
        writeBody(into: &w)
        // Take the buffer out of the writer so it is uniquely referenced and patched in place.
        var bytes = (consume w).bytes
        let length = UInt32(bytes.count - Self.headerSize)
        bytes[0] = UInt8(truncatingIfNeeded: length >> 24)
        bytes[1] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[2] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: length)
        return bytes
    }

    private var capacityHint: Int {
        switch self {
        case .hello(let h): Self.headerSize + 1 + 1 + 2 * 5 + h.node.rawValue.utf8.count + h.address.utf8.count + 8
        case .mesh: 64
        case .heartbeat, .heartbeatAck: Self.headerSize + 1 + 8
        case .goodbye(let reason): Self.headerSize + 1 + 2 + min(reason.utf8.count, Self.maxReasonBytes)
        case .data(let d): Self.headerSize + 1 + 16 + 8 + 1 + 3 + d.targets.reduce(0) { $0 + 2 + $1.rawValue.utf8.count } + 5 + d.payload.count
        case .acks(let a): Self.headerSize + 1 + 3 + a.count * 24
        }
    }

    private func writeBody(into w: inout ByteWriter) {
        switch self {
        case .hello(let h):
            w.u8(LinkTag.hello.rawValue)
            w.u8(h.protocolVersion)
            w.string(h.node.rawValue)
            w.string(h.address)
            w.u64(h.generation)
        case .mesh(let message):
            MeshCodec.write(message, into: &w)
        case .heartbeat(let nonce):
            w.u8(LinkTag.heartbeat.rawValue)
            w.u64(nonce)
        case .heartbeatAck(let nonce):
            w.u8(LinkTag.heartbeatAck.rawValue)
            w.u64(nonce)
        case .goodbye(let reason):
            w.u8(LinkTag.goodbye.rawValue)
            w.blob(Self.truncatedUTF8(reason, to: Self.maxReasonBytes))
        case .data(let frame):
            w.u8(LinkTag.data.rawValue)
            frame.write(into: &w)
        case .acks(let acks):
            w.u8(LinkTag.acks.rawValue)
            DataAck.write(acks, into: &w)
        }
    }

    /// `s` as UTF-8, cut to at most `limit` bytes without splitting a scalar.
    static func truncatedUTF8(_ s: String, to limit: Int) -> [UInt8] {
        let utf8 = s.utf8
        guard utf8.count > limit else { return Array(utf8) }
        var bytes = Array(utf8.prefix(limit + 1))
        // Back off to the start of the scalar that straddles the limit (continuation bytes are 10xxxxxx).
        var end = limit
        while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        bytes.removeSubrange(end...)
        return bytes
    }

    // MARK: - Decoding

    /// Decodes one frame body (the bytes after the header). Never traps on hostile input: every
    /// problem is a `PeerFrameError` naming the frame kind, field and byte offset in the body.
    public static func decode(body: [UInt8]) throws(PeerFrameError) -> PeerFrame {
        guard let tag = body.first else { throw .emptyBody }
        if MeshCodec.Tag(rawValue: tag) != nil {
            do {
                return .mesh(try MeshCodec.decode(body))
            } catch {
                throw .malformed("mesh message", error)
            }
        }
        guard let linkTag = LinkTag(rawValue: tag) else { throw .unknownTag(tag) }
        var r = ByteReader(body, offset: 1)
        let frame: PeerFrame
        do {
            switch linkTag {
            case .hello:
                frame = .hello(PeerHello(protocolVersion: try r.u8("protocol version"), node: NodeID(try r.string("node id")),
                                         address: try r.string("address"), generation: try r.u64("generation")))
            case .heartbeat:
                frame = .heartbeat(nonce: try r.u64("nonce"))
            case .heartbeatAck:
                frame = .heartbeatAck(nonce: try r.u64("nonce"))
            case .goodbye:
                frame = .goodbye(reason: try r.string("reason", max: maxReasonBytes))
            case .data:
                frame = .data(try DataFrame.read(&r, maxPayload: body.count))
            case .acks:
                frame = .acks(try DataAck.read(&r))
            }
        } catch {
            throw .malformed(name(of: linkTag), error)
        }
        guard r.isAtEnd else { throw .malformed(name(of: linkTag), MeshWireError(.trailingBytes, field: "end", offset: r.offset)) }
        return frame
    }

    private static func name(of tag: LinkTag) -> String {
        switch tag {
        case .hello: "hello"
        case .heartbeat: "heartbeat"
        case .heartbeatAck: "heartbeat ack"
        case .goodbye: "goodbye"
        case .data: "data"
        case .acks: "acks"
        }
    }
}
