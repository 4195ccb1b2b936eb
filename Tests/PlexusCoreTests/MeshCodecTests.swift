import Testing
@testable import PlexusCore

/// Messages with non-trivial content for every `MeshMessage` case.
enum MeshCodecSamples {
    static let owner: NodeID = "org/cluster-ü/node-1"
    static let live = entry(owner, .subject, "agent.α", counter: 300, value: ["name": "ünïcode ✓", "n": 42, "list": [true, nil, 1.5]])
    static let tomb = entry(owner, .backbone, "bb", counter: 301, value: nil)
    /// The largest counter a peer may send (MeshCodec refuses 2^62 and above).
    static let maxCounter: UInt64 = (1 << 62) - 1
    static let node = nodeEntry(owner, version: EntryVersion(generation: 1_700_000_000_000, counter: maxCounter))
    static let gossip: [GossipItem] = [
        .alive(id: owner, incarnation: maxCounter, address: "[2001:db8::1]:7946"),
        .suspect(id: "x", incarnation: 300, from: "y"),
        .dead(id: "x", incarnation: 0, from: "x"),
        .entry(live), .entry(tomb), .entry(node),
    ]
    static let members: [MemberSummary] = [
        MemberSummary(id: "a", address: "10.0.0.1:1", incarnation: 0, status: .alive),
        MemberSummary(id: "b", address: "", incarnation: 127, status: .suspect),
        MemberSummary(id: "c", address: "c", incarnation: 128, status: .dead),
        MemberSummary(id: "d", address: "d", incarnation: maxCounter, status: .left),
    ]
    static let messages: [MeshMessage] = [
        .ping(seq: 7, gossip: gossip),
        .ping(seq: 0, gossip: []),
        .pingReq(seq: .max, target: owner, address: "host:7946", gossip: [gossip[1]]),
        .ack(seq: 123_456, gossip: gossip),
        .nack(seq: 0xDEAD_BEEF),
        .gossip(gossip),
        .syncDigest(SyncDigest(round: .max, bucketCount: 256, memberRoot: .max, registryRoot: 0x0123_4567_89AB_CDEF, join: true)),
        .syncDigest(SyncDigest(round: 0, bucketCount: 16, memberRoot: 0, registryRoot: 1, join: false)),
        .syncBuckets(SyncBuckets(round: 300, bucketCount: 4, memberBuckets: [1, 2, .max, 0], registryBuckets: [])),
        .syncBuckets(SyncBuckets(round: 1, bucketCount: 2, memberBuckets: [], registryBuckets: [9, 8])),
        .syncSummary(SyncSummary(round: 70_000, bucketCount: 16, memberBuckets: [0, 15], registryBuckets: [3], members: members,
                                 entries: [EntrySummary(key: live.key, version: live.version),
                                           EntrySummary(key: node.key, version: node.version)], wantsReply: true)),
        .syncSummary(SyncSummary(round: 1, bucketCount: 32, memberBuckets: [], registryBuckets: [], members: [], entries: [], wantsReply: false)),
        .syncUpdate(members: members, entries: [live, tomb, node]),
        .syncUpdate(members: [], entries: []),
    ]
}

@Suite struct MeshCodecTests {
    static func error(_ bytes: [UInt8]) -> MeshWireError? {
        do {
            _ = try MeshCodec.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: MeshCodecSamples.messages)
    func roundTrip(_ message: MeshMessage) throws {
        let bytes = MeshCodec.encode(message)
        #expect(try MeshCodec.decode(bytes) == message)
        #expect(MeshCodec.size(of: message) == bytes.count)
    }

    @Test(arguments: MeshCodecSamples.messages)
    func everyTruncationThrows(_ message: MeshMessage) {
        let bytes = MeshCodec.encode(message)
        var codes: Set<String> = []
        for n in 0..<bytes.count {
            guard let e = Self.error(Array(bytes.prefix(n))) else {
                Issue.record("prefix of \(n)/\(bytes.count) bytes decoded")
                continue
            }
            codes.insert(e.code.rawValue)
            #expect(e.offset <= n)
        }
        #expect(codes.isSubset(of: ["truncated", "badCount"]))
    }

    @Test(arguments: MeshCodecSamples.messages)
    func trailingBytesThrow(_ message: MeshMessage) {
        let bytes = MeshCodec.encode(message)
        #expect(Self.error(bytes + [0]) == MeshWireError(.trailingBytes, field: "message", offset: bytes.count))
    }

    @Test func gossipItemSizeMatchesItsEncoding() {
        for item in MeshCodecSamples.gossip {
            #expect(MeshCodec.encode(.gossip([item])).count == 2 + MeshCodec.size(of: item))
        }
    }

    @Test(arguments: [UInt8(0), 10, 0x7F, 0xFF])
    func unknownMessageTypeThrows(_ tag: UInt8) {
        #expect(Self.error([tag, 0, 0, 0, 0]) == MeshWireError(.unknownType, field: "type", offset: 0))
    }

    @Test func unknownGossipTypeThrows() {
        #expect(Self.error([5, 1, 9, 0, 0]) == MeshWireError(.unknownType, field: "gossip.type", offset: 2))
    }

    @Test func unknownEntryKindThrows() {
        var w = ByteWriter()
        w.u8(5); w.varint(1); w.u8(4)  // gossip, one item, an entry
        w.string("b"); w.u8(99); w.string("id")
        w.raw([UInt8](repeating: 0, count: 80))
        #expect(Self.error(w.bytes)?.code == .unknownType)
        #expect(Self.error(w.bytes)?.field == "entry.kind")
    }

    @Test func countFarLargerThanTheRemainingBytesThrowsBadCount() {
        // A gossip list claiming 2^34 items in 4 bytes.
        #expect(Self.error([5, 0x80, 0x80, 0x80, 0x80, 0x40, 1, 2, 3, 4]) == MeshWireError(.badCount, field: "gossip", offset: 1))
        // Bucket hashes: 200 claimed, 3 u64s present.
        var w = ByteWriter()
        w.u8(7); w.varint(1); w.u16(16); w.varint(200)
        for _ in 0..<3 { w.u64(1) }
        #expect(Self.error(w.bytes)?.code == .badCount)
        #expect(Self.error(w.bytes)?.field == "member_buckets")
        // A string length of 1,000 with one byte left.
        #expect(Self.error([2, 0, 0, 0, 1, 0xE8, 0x07, 0x61])?.code == .badCount)
    }

    @Test func badFieldValuesThrowWithTheirCode() {
        var w = ByteWriter()
        w.u8(6); w.varint(1); w.u16(16); w.u64(0); w.u64(0); w.u8(2)
        #expect(Self.error(w.bytes) == MeshWireError(.badValue, field: "join", offset: 20))

        w = ByteWriter()
        w.u8(9); w.varint(1); w.string("a"); w.string("a"); w.varint(0); w.u8(7); w.varint(0)
        #expect(Self.error(w.bytes)?.code == .badValue)
        #expect(Self.error(w.bytes)?.field == "member.status")

        w = ByteWriter()
        w.u8(2); w.u32(1); w.blob([0xFF, 0xFE]); w.string("x"); w.varint(0)
        #expect(Self.error(w.bytes) == MeshWireError(.badUTF8, field: "target", offset: 5))

        w = ByteWriter()
        w.u8(2); w.u32(1); w.string(String(repeating: "t", count: 5_000)); w.string("x"); w.varint(0)
        #expect(Self.error(w.bytes) == MeshWireError(.tooLong, field: "target", offset: 5))
    }

    /// A peer must not be able to send an incarnation or version a node would trap on when it
    /// adds one, or that no refutation could ever outbid.
    @Test(arguments: [UInt64(1) << 62, .max])
    func hugeIncarnationsAndVersionsAreRefused(_ value: UInt64) {
        let messages: [MeshMessage] = [
            .gossip([.alive(id: "x", incarnation: value, address: "x:1")]),
            .gossip([.suspect(id: "x", incarnation: value, from: "y")]),
            .syncUpdate(members: [MemberSummary(id: "x", address: "x:1", incarnation: value, status: .alive)], entries: []),
            .gossip([.entry(entry("x", .subject, "s", counter: value))]),
        ]
        for message in messages {
            #expect(throws: MeshWireError.self) { try MeshCodec.decode(MeshCodec.encode(message)) }
        }
        let largest: MeshMessage = .gossip([.alive(id: "x", incarnation: MeshCodecSamples.maxCounter, address: "x:1")])
        #expect((try? MeshCodec.decode(MeshCodec.encode(largest))) == largest)
    }

    @Test func oversizedVarintsOverflow() {
        // The sync round must fit 32 bits.
        var w = ByteWriter()
        w.u8(6); w.varint(UInt64(UInt32.max) + 1); w.u16(16); w.u64(0); w.u64(0); w.u8(0)
        #expect(Self.error(w.bytes) == MeshWireError(.overflow, field: "round", offset: 1))
        // A varint longer than 64 bits.
        #expect(Self.error([6] + [UInt8](repeating: 0xFF, count: 10) + [0x01])?.code == .overflow)
    }

    @Test func varintEncodingIsLEB128() throws {
        for (value, bytes) in [(UInt64(0), [UInt8(0)]), (127, [0x7F]), (128, [0x80, 0x01]), (300, [0xAC, 0x02]),
                               (.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])] {
            var w = ByteWriter()
            w.varint(value)
            #expect(w.bytes == bytes)
            #expect(ByteWriter.varintSize(value) == bytes.count)
            var r = ByteReader(bytes)
            #expect(try r.varint("v") == value)
            #expect(r.isAtEnd)
        }
    }
}
