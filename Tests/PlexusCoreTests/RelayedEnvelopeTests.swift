import Testing
@testable import PlexusCore

/// A relay reads a peer's envelope with the canonical-form reader and keeps the peer's bytes; both
/// must come out exactly as the general path (parse, decode, normalise, serialise) would have it,
/// and the reader must never accept what the general path refuses.
@Suite struct RelayedEnvelopeTests {
    let base = Timestamp(microseconds: 1_795_977_723_123_456)
    let limits = IngestLimits()

    /// The general path, as a relay took it before the reader existed.
    func generalDraft(_ bytes: [UInt8], limits: IngestLimits = IngestLimits()) throws -> EnvelopeDraft {
        try EnvelopeDecoder.decode(try JSONParser.parse(bytes, limits: JSONLimits(maxDepth: limits.maxDepth)), limits: limits)
    }

    func canonical(_ bytes: [UInt8], limits: JSONLimits = JSONLimits()) -> JSONParser.CanonicalEnvelope? {
        bytes.withUnsafeBytes { JSONParser.canonicalEnvelope($0, limits: limits) }
    }

    @Test func seededEnvelopesReadAsTheGeneralPathReadsThem() throws {
        var rng = SplitMix64(seed: 0x5E1A7)
        var read = 0
        for i in 0..<500 {
            let envelope = try RandomEnvelope.make(&rng, index: i, base: base)
            let bytes = envelope.serialized()
            // Nil when the general path refuses: then the reader must refuse too.
            let general = try? generalDraft(bytes)
            let fast = canonical(bytes)
            #expect(fast?.draft == general, "envelope \(i): \(String(decoding: bytes, as: UTF8.self))")
            if fast != nil { read += 1 }
        }
        // Identifiers with whitespace are refused by both paths; everything else is the writer's form.
        #expect(read > 400)
    }

    @Test func theRelaysBytesAreTheEnvelopeItWouldHaveSerialised() throws {
        var rng = SplitMix64(seed: 0xB17E5)
        let now = base.adding(microseconds: 5_000)
        for i in 0..<300 {
            let envelope = try RandomEnvelope.make(&rng, index: i, base: base, spaces: false)
            let bytes = envelope.serialized()
            var relayRNG = SplitMix64(seed: 1)
            let relayed = try RelayedEnvelope(bytes, id: envelope.messageID, node: "org.relay", now: now, limits: limits, rng: &relayRNG)
            var expected = try generalDraft(bytes).normalized(node: "org.relay", now: now, rng: &relayRNG)
            expected.messageID = envelope.messageID
            #expect(relayed.envelope == expected, "envelope \(i)")
            #expect(relayed.json == expected.serialized(), "envelope \(i)")
            #expect(relayed.envelope.hops.last == Hop(node: "org.relay", ts: now))
        }
    }

    /// Random damage to the writer's bytes: whenever the reader still accepts them, the general
    /// path must accept them too, with the same result.
    @Test func damagedBytesAreNeverReadDifferently() throws {
        var rng = SplitMix64(seed: 0xDA3A6E)
        let alphabet = Array(#"{}[]:,"\ 0123456789-.eEtrufalsn"#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xFF]
        var stillRead = 0, refusedByBoth = 0
        for i in 0..<3_000 {
            var bytes = try RandomEnvelope.make(&rng, index: i, base: base).serialized()
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                case 2: bytes.remove(at: at)
                default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 1 + Int(rng.next() % 12))], at: at)
                }
            }
            let general = try? generalDraft(bytes)
            guard let fast = canonical(bytes) else {
                if general == nil { refusedByBoth += 1 }
                continue
            }
            stillRead += 1
            #expect(fast.draft == general, "case \(i): \(String(decoding: bytes, as: UTF8.self))")
        }
        // Both outcomes must have been exercised for the property to mean anything.
        #expect(stillRead > 100)
        #expect(refusedByBoth > 1_000)
    }

    @Test func otherFormsTakeTheGeneralPath() throws {
        var rng = SplitMix64(seed: 3)
        let id = MessageID.v7(now: base, rng: &rng)
        let spaced = #"{ "topic": "a.b", "message_uuid": "\#(id)", "data": {"k": 1}, "hops": [{"node": "n1", "ts": 1795977723.5}], "x": 2 }"#
        let bytes = Array(spaced.utf8)
        #expect(canonical(bytes) == nil)
        let relayed = try RelayedEnvelope(bytes, id: id, node: "n2", now: base, limits: limits, rng: &rng)
        #expect(relayed.envelope.hops.map(\.node) == ["n1", "n2"])
        #expect(relayed.envelope.messageMetadata["extra"] == ["x": 2])
        #expect(relayed.json == relayed.envelope.serialized())
    }

    @Test func aRepeatedSubjectIsDroppedFromTheBytesToo() throws {
        var rng = SplitMix64(seed: 6)
        let envelope = Envelope(messageID: .v7(now: base, rng: &rng), originTS: base, ackTS: base, topic: try Topic("a"),
                                destinationSubjectIDs: ["b", "c", "b"])
        let relayed = try RelayedEnvelope(envelope.serialized(), id: envelope.messageID, node: "n2", now: base, limits: limits, rng: &rng)
        #expect(relayed.envelope.destinationSubjectIDs == ["b", "c"])
        #expect(relayed.json == relayed.envelope.serialized())
    }

    @Test func aMissingAckTimeIsFilledAndWritten() throws {
        var rng = SplitMix64(seed: 4)
        let envelope = Envelope(messageID: .v7(now: base, rng: &rng), originTS: base, topic: try Topic("a"))
        let bytes = envelope.serialized()
        #expect(canonical(bytes) != nil)
        let relayed = try RelayedEnvelope(bytes, id: envelope.messageID, node: "n2", now: base.adding(microseconds: 9), limits: limits, rng: &rng)
        #expect(relayed.envelope.ackTS == base.adding(microseconds: 9))
        #expect(relayed.json == relayed.envelope.serialized())
    }

    @Test func refusalsNameTheProblem() throws {
        var rng = SplitMix64(seed: 5)
        let envelope = Envelope(messageID: .v7(now: base, rng: &rng), originTS: base, ackTS: base, topic: try Topic("a"),
                                messageData: [[[["deep": 1]]]])
        let other = MessageID.v7(now: base, rng: &rng)
        #expect(throws: PlexusError(.invalidField, "the frame's message id \(other) differs from the envelope's")) {
            try RelayedEnvelope(envelope.serialized(), id: other, node: "n2", now: base, limits: limits, rng: &rng)
        }
        let notJSON = Array(envelope.serialized().dropLast())
        let error = #expect(throws: PlexusError.self) {
            try RelayedEnvelope(notJSON, id: envelope.messageID, node: "n2", now: base, limits: limits, rng: &rng)
        }
        #expect(error?.code == .invalidJSON)
        // Deeper than the limit: the reader leaves it to the general path, which refuses it.
        let shallow = IngestLimits(maxDepth: 4)
        #expect(canonical(envelope.serialized(), limits: JSONLimits(maxDepth: 4)) == nil)
        let deep = #expect(throws: PlexusError.self) {
            try RelayedEnvelope(envelope.serialized(), id: envelope.messageID, node: "n2", now: base, limits: shallow, rng: &rng)
        }
        #expect(deep?.message.contains("nested deeper than 4") == true)
    }
}

/// Seeded envelopes of every shape the writer produces: optional fields on and off, 0–3
/// subjects and hops, strings that need escapes or are not ASCII, numbers of all kinds, nesting.
enum RandomEnvelope {
    /// `spaces`: one identifier in twenty gets a space, which every path refuses.
    static func make(_ rng: inout SplitMix64, index: Int, base: Timestamp, spaces: Bool = true) throws -> Envelope {
        let ts = base.adding(microseconds: Int64(rng.next() % 10_000_000))
        let pick = rng.next()
        return Envelope(
            messageID: .v7(now: ts, rng: &rng), originTS: ts, ackTS: pick & 1 == 0 ? ts.adding(microseconds: 7) : nil,
            topic: try Topic(["a", "agents.alpha.events", "t.\(index % 7)", "x_y-z.q"][Int(pick >> 4 % 4)]),
            messageType: pick & 2 == 0 ? "message" : identifier(&rng, spaces: spaces),
            sourceSubjectID: pick & 4 == 0 ? identifier(&rng, spaces: spaces) : nil,
            destinationSubjectIDs: (0..<Int(rng.next() % 4)).map { _ in identifier(&rng, spaces: spaces) },
            messageData: value(&rng, depth: 0),
            messageMetadata: pick & 8 == 0 ? [:] : object(&rng, depth: 1),
            hops: (0..<Int(rng.next() % 4)).map { i in Hop(node: string(&rng), ts: ts.adding(microseconds: Int64(i) * 13)) },
            policyDecision: pick & 16 == 0 ? nil : object(&rng, depth: 1))
    }

    static func identifier(_ rng: inout SplitMix64, spaces: Bool) -> String {
        let names = ["alpha", "beta", "agent-7", "gämma", "x.y", "🤖bot", "a"]
        let name = names[Int(rng.next() % UInt64(names.count))]
        return spaces && rng.next() % 20 == 0 ? name + " b" : name
    }

    static func string(_ rng: inout SplitMix64) -> String {
        let pieces = ["n1", "plain", "quote\"", "back\\slash", "line\nbreak", "tab\t", "\u{1}", "é", "👋", "/", " "]
        return (0..<Int(rng.next() % 3 + 1)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
    }

    static func object(_ rng: inout SplitMix64, depth: Int) -> JSONObject {
        var object: JSONObject = [:]
        for i in 0..<Int(rng.next() % 4) { object["k\(i)" + string(&rng)] = value(&rng, depth: depth + 1) }
        return object
    }

    static func value(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
        switch rng.next() % (depth < 4 ? 9 : 7) {
        case 0: return .null
        case 1: return .bool(rng.next() & 1 == 0)
        case 2: return .integer(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
        case 3: return .double([0.5, -1.25e-7, 3.0e300, 123456.789, -0.0][Int(rng.next() % 5)])
        case 4, 5, 6: return .string(string(&rng))
        case 7: return .array((0..<Int(rng.next() % 4)).map { _ in value(&rng, depth: depth + 1) })
        default: return .object(object(&rng, depth: depth))
        }
    }
}
