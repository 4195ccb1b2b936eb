import Foundation

/// A message handed from one node to the next: the receiver takes custody of `targets` (it
/// delivers to itself if listed and forwards toward the others) and answers with a `DataAck`
/// once the message is durable in its log.
public struct DataFrame: Sendable, Equatable {
    public var id: MessageID
    /// The sender's number for this transmission, echoed by the ack. Every retransmission gets a
    /// new one, so an ack is never ambiguous (Karn's problem does not arise) and RTT samples are clean.
    public var transmission: UInt64
    /// Nodes the message has crossed before the receiver.
    public var hopCount: UInt8
    public var targets: [NodeID]
    /// The envelope's wire JSON, as logged by the sender.
    public var payload: [UInt8]

    public init(id: MessageID, transmission: UInt64, hopCount: UInt8, targets: [NodeID], payload: [UInt8]) {
        self.id = id
        self.transmission = transmission
        self.hopCount = hopCount
        self.targets = targets
        self.payload = payload
    }

    /// Most targets one frame may name (a fan-out to more nodes is split over frames by next hop
    /// anyway; this bounds what a peer can make a node allocate).
    public static let maxTargets = 4_096

    func write(into w: inout ByteWriter) {
        w.raw(id.bytes)
        w.u64(transmission)
        w.u8(hopCount)
        w.varint(UInt64(targets.count))
        for t in targets { w.string(t.rawValue) }
        w.blob(payload)
    }

    static func read(_ r: inout ByteReader, maxPayload: Int) throws(MeshWireError) -> DataFrame {
        let id = try r.messageID("message id")
        let tx = try r.u64("transmission")
        let hops = try r.u8("hop count")
        let n = try r.count("target count", minSize: 2)
        guard n <= maxTargets else { throw MeshWireError(.badCount, field: "target count", offset: r.offset) }
        var targets: [NodeID] = []
        targets.reserveCapacity(n)
        for _ in 0..<n { targets.append(NodeID(try r.string("target", max: 512))) }
        let payload = try r.blob("payload", max: maxPayload)
        return DataFrame(id: id, transmission: tx, hopCount: hops, targets: targets, payload: payload)
    }
}

/// "The message of this transmission is durable here; it is mine now."
public struct DataAck: Sendable, Hashable {
    public var id: MessageID
    public var transmission: UInt64

    public init(id: MessageID, transmission: UInt64) {
        self.id = id
        self.transmission = transmission
    }

    /// Acks travel in batches: one frame per event-loop turn per peer.
    public static let maxPerFrame = 8_192

    static func write(_ acks: [DataAck], into w: inout ByteWriter) {
        w.varint(UInt64(acks.count))
        for a in acks {
            w.raw(a.id.bytes)
            w.u64(a.transmission)
        }
    }

    static func read(_ r: inout ByteReader) throws(MeshWireError) -> [DataAck] {
        let n = try r.count("ack count", minSize: 24)
        guard n <= maxPerFrame else { throw MeshWireError(.badCount, field: "ack count", offset: r.offset) }
        var acks: [DataAck] = []
        acks.reserveCapacity(n)
        for _ in 0..<n { acks.append(DataAck(id: try r.messageID("message id"), transmission: try r.u64("transmission"))) }
        return acks
    }
}

extension MessageID {
    /// The 16 bytes of the UUID, in order.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: uuid.uuid) { Array($0) }
    }

    public init(bytes b: some Collection<UInt8>) {
        let a = Array(b)
        precondition(a.count == 16)
        self.init(UUID(uuid: (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15])))
    }
}

extension ByteReader {
    mutating func messageID(_ field: StaticString) throws(MeshWireError) -> MessageID {
        var raw: [UInt8] = []
        raw.reserveCapacity(16)
        for _ in 0..<16 { raw.append(try u8(field)) }
        return MessageID(bytes: raw)
    }
}
