/// The binary encoding of mesh messages (the payload of one peer-link frame). Integers are
/// varints or big-endian; strings and blobs are length-prefixed; every decode is bounds-checked
/// and rejects unknown tags and trailing bytes with an error naming the field.
public enum MeshCodec {
    /// Bytes the peer-link frame adds around each message: a 4-byte length and a 1-byte version.
    public static let frameOverhead = 5
    /// What TLS 1.3 adds per record (5-byte header, 1-byte content type, 16-byte AEAD tag).
    public static let tlsRecordOverhead = 22
    static let signatureSize = 64

    enum Tag: UInt8 {
        case ping = 1, pingReq, ack, nack, gossip, syncDigest, syncBuckets, syncSummary, syncUpdate
    }

    public static func encode(_ message: MeshMessage) -> [UInt8] {
        var w = ByteWriter(capacity: 32)
        write(message, into: &w)
        return w.bytes
    }

    public static func size(of message: MeshMessage) -> Int { encode(message).count }

    public static func size(of item: GossipItem) -> Int {
        var w = ByteWriter(capacity: 32)
        write(item, into: &w)
        return w.bytes.count
    }

    static func write(_ message: MeshMessage, into w: inout ByteWriter) {
        switch message {
        case .ping(let seq, let gossip):
            w.u8(Tag.ping.rawValue); w.u32(seq); write(gossip, into: &w)
        case .pingReq(let seq, let target, let address, let gossip):
            w.u8(Tag.pingReq.rawValue); w.u32(seq); w.string(target.rawValue); w.string(address); write(gossip, into: &w)
        case .ack(let seq, let gossip):
            w.u8(Tag.ack.rawValue); w.u32(seq); write(gossip, into: &w)
        case .nack(let seq):
            w.u8(Tag.nack.rawValue); w.u32(seq)
        case .gossip(let gossip):
            w.u8(Tag.gossip.rawValue); write(gossip, into: &w)
        case .syncDigest(let d):
            w.u8(Tag.syncDigest.rawValue); w.varint(UInt64(d.round)); w.u16(d.bucketCount)
            w.u64(d.memberRoot); w.u64(d.registryRoot); w.u8(d.join ? 1 : 0)
        case .syncBuckets(let b):
            w.u8(Tag.syncBuckets.rawValue); w.varint(UInt64(b.round)); w.u16(b.bucketCount)
            w.varint(UInt64(b.memberBuckets.count)); b.memberBuckets.forEach { w.u64($0) }
            w.varint(UInt64(b.registryBuckets.count)); b.registryBuckets.forEach { w.u64($0) }
        case .syncSummary(let s):
            w.u8(Tag.syncSummary.rawValue); w.varint(UInt64(s.round)); w.u16(s.bucketCount)
            w.varint(UInt64(s.memberBuckets.count)); s.memberBuckets.forEach { w.u16($0) }
            w.varint(UInt64(s.registryBuckets.count)); s.registryBuckets.forEach { w.u16($0) }
            w.varint(UInt64(s.members.count)); s.members.forEach { write($0, into: &w) }
            w.varint(UInt64(s.entries.count))
            for e in s.entries { write(e.key, into: &w); w.varint(e.version.generation); w.varint(e.version.counter) }
            w.u8(s.wantsReply ? 1 : 0)
        case .syncUpdate(let members, let entries):
            w.u8(Tag.syncUpdate.rawValue)
            w.varint(UInt64(members.count)); members.forEach { write($0, into: &w) }
            w.varint(UInt64(entries.count)); entries.forEach { write($0, into: &w) }
        }
    }

    static func write(_ gossip: [GossipItem], into w: inout ByteWriter) {
        w.varint(UInt64(gossip.count))
        for item in gossip { write(item, into: &w) }
    }

    static func write(_ item: GossipItem, into w: inout ByteWriter) {
        switch item {
        case .alive(let id, let inc, let address):
            w.u8(1); w.string(id.rawValue); w.varint(inc); w.string(address)
        case .suspect(let id, let inc, let from):
            w.u8(2); w.string(id.rawValue); w.varint(inc); w.string(from.rawValue)
        case .dead(let id, let inc, let from):
            w.u8(3); w.string(id.rawValue); w.varint(inc); w.string(from.rawValue)
        case .entry(let entry):
            w.u8(4); write(entry, into: &w)
        }
    }

    static func write(_ key: RegistryKey, into w: inout ByteWriter) {
        w.string(key.owner.rawValue); w.u8(key.kind.rawValue); w.string(key.id)
    }

    static func write(_ entry: RegistryEntry, into w: inout ByteWriter) {
        write(entry.key, into: &w)
        w.varint(entry.version.generation); w.varint(entry.version.counter)
        if let payload = entry.payload { w.u8(1); w.blob(payload) } else { w.u8(0) }
        w.raw(entry.signature)
    }

    static func write(_ m: MemberSummary, into w: inout ByteWriter) {
        w.string(m.id.rawValue); w.string(m.address); w.varint(m.incarnation); w.u8(m.status.rawValue)
    }

    // MARK: - Decoding

    public static func decode(_ bytes: [UInt8]) throws(MeshWireError) -> MeshMessage {
        var r = ByteReader(bytes)
        let message = try readMessage(&r)
        guard r.isAtEnd else { throw MeshWireError(.trailingBytes, field: "message", offset: r.offset) }
        return message
    }

    static func readMessage(_ r: inout ByteReader) throws(MeshWireError) -> MeshMessage {
        let at = r.offset
        guard let tag = Tag(rawValue: try r.u8("type")) else { throw MeshWireError(.unknownType, field: "type", offset: at) }
        switch tag {
        case .ping:
            return .ping(seq: try r.u32("seq"), gossip: try readGossip(&r))
        case .pingReq:
            return .pingReq(seq: try r.u32("seq"), target: NodeID(try r.string("target")), address: try r.string("address"), gossip: try readGossip(&r))
        case .ack:
            return .ack(seq: try r.u32("seq"), gossip: try readGossip(&r))
        case .nack:
            return .nack(seq: try r.u32("seq"))
        case .gossip:
            return .gossip(try readGossip(&r))
        case .syncDigest:
            return .syncDigest(SyncDigest(round: try readU32Varint(&r, "round"), bucketCount: try r.u16("bucket_count"),
                                          memberRoot: try r.u64("member_root"), registryRoot: try r.u64("registry_root"),
                                          join: try readBool(&r, "join")))
        case .syncBuckets:
            let round = try readU32Varint(&r, "round")
            let c = try r.u16("bucket_count")
            var m: [UInt64] = []
            for _ in 0..<(try r.count("member_buckets", minSize: 8)) { m.append(try r.u64("member_buckets")) }
            var g: [UInt64] = []
            for _ in 0..<(try r.count("registry_buckets", minSize: 8)) { g.append(try r.u64("registry_buckets")) }
            return .syncBuckets(SyncBuckets(round: round, bucketCount: c, memberBuckets: m, registryBuckets: g))
        case .syncSummary:
            let round = try readU32Varint(&r, "round")
            let c = try r.u16("bucket_count")
            var mb: [UInt16] = []
            for _ in 0..<(try r.count("member_buckets", minSize: 2)) { mb.append(try r.u16("member_buckets")) }
            var rb: [UInt16] = []
            for _ in 0..<(try r.count("registry_buckets", minSize: 2)) { rb.append(try r.u16("registry_buckets")) }
            var members: [MemberSummary] = []
            for _ in 0..<(try r.count("members", minSize: 4)) { members.append(try readMember(&r)) }
            var entries: [EntrySummary] = []
            for _ in 0..<(try r.count("entries", minSize: 5)) {
                entries.append(EntrySummary(key: try readKey(&r), version: EntryVersion(generation: try r.counter("generation"), counter: try r.counter("counter"))))
            }
            return .syncSummary(SyncSummary(round: round, bucketCount: c, memberBuckets: mb, registryBuckets: rb,
                                            members: members, entries: entries, wantsReply: try readBool(&r, "wants_reply")))
        case .syncUpdate:
            var members: [MemberSummary] = []
            for _ in 0..<(try r.count("members", minSize: 4)) { members.append(try readMember(&r)) }
            var entries: [RegistryEntry] = []
            for _ in 0..<(try r.count("entries", minSize: 5 + signatureSize)) { entries.append(try readEntry(&r)) }
            return .syncUpdate(members: members, entries: entries)
        }
    }

    static func readU32Varint(_ r: inout ByteReader, _ field: StaticString) throws(MeshWireError) -> UInt32 {
        let at = r.offset
        let v = try r.varint(field)
        guard v <= UInt64(UInt32.max) else { throw MeshWireError(.overflow, field: field, offset: at) }
        return UInt32(v)
    }

    static func readBool(_ r: inout ByteReader, _ field: StaticString) throws(MeshWireError) -> Bool {
        let at = r.offset
        switch try r.u8(field) {
        case 0: return false
        case 1: return true
        default: throw MeshWireError(.badValue, field: field, offset: at)
        }
    }

    static func readGossip(_ r: inout ByteReader) throws(MeshWireError) -> [GossipItem] {
        var items: [GossipItem] = []
        for _ in 0..<(try r.count("gossip", minSize: 3)) { items.append(try readItem(&r)) }
        return items
    }

    static func readItem(_ r: inout ByteReader) throws(MeshWireError) -> GossipItem {
        let at = r.offset
        switch try r.u8("gossip.type") {
        case 1: return .alive(id: NodeID(try r.string("alive.id")), incarnation: try r.counter("alive.incarnation"), address: try r.string("alive.address"))
        case 2: return .suspect(id: NodeID(try r.string("suspect.id")), incarnation: try r.counter("suspect.incarnation"), from: NodeID(try r.string("suspect.from")))
        case 3: return .dead(id: NodeID(try r.string("dead.id")), incarnation: try r.counter("dead.incarnation"), from: NodeID(try r.string("dead.from")))
        case 4: return .entry(try readEntry(&r))
        default: throw MeshWireError(.unknownType, field: "gossip.type", offset: at)
        }
    }

    static func readKey(_ r: inout ByteReader) throws(MeshWireError) -> RegistryKey {
        let owner = NodeID(try r.string("entry.owner"))
        let at = r.offset
        guard let kind = RegistryKind(rawValue: try r.u8("entry.kind")) else { throw MeshWireError(.unknownType, field: "entry.kind", offset: at) }
        return RegistryKey(owner: owner, kind: kind, id: try r.string("entry.id"))
    }

    static func readEntry(_ r: inout ByteReader) throws(MeshWireError) -> RegistryEntry {
        let key = try readKey(&r)
        let version = EntryVersion(generation: try r.counter("entry.generation"), counter: try r.counter("entry.counter"))
        let payload: [UInt8]? = try readBool(&r, "entry.has_payload") ? try r.blob("entry.payload", max: 64 * 1024) : nil
        var signature: [UInt8] = []
        signature.reserveCapacity(signatureSize)
        for _ in 0..<signatureSize { signature.append(try r.u8("entry.signature")) }
        return RegistryEntry(key: key, version: version, payload: payload, signature: signature)
    }

    static func readMember(_ r: inout ByteReader) throws(MeshWireError) -> MemberSummary {
        let id = NodeID(try r.string("member.id"))
        let address = try r.string("member.address")
        let inc = try r.counter("member.incarnation")
        let at = r.offset
        guard let status = Member.Status(rawValue: try r.u8("member.status")) else { throw MeshWireError(.badValue, field: "member.status", offset: at) }
        return MemberSummary(id: id, address: address, incarnation: inc, status: status)
    }
}
