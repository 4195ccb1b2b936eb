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
        var kept = 0
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
            if relayed.keptPeerBytes { kept += 1 }
        }
        // The splice itself must have been exercised, not only the fallback that serialises anew.
        #expect(kept > 30)
    }

    /// The writer's layout with other spellings of the same values: read by the reader, but the
    /// JSON is written anew, so it matches the log's columns byte for byte.
    enum Respelling: String, CaseIterable, Sendable {
        case upperCaseID, escapeInTopic, offset, sevenFractionDigits, leapSecond, lowerCaseT

        func apply(_ json: String, id: String) -> String {
            switch self {
            case .upperCaseID: json.replacingOccurrences(of: id, with: id.uppercased())
            case .escapeInTopic: json.replacingOccurrences(of: #""topic":"a.b""#, with: #""topic":"a\u002eb""#)
            case .offset: json.replacingOccurrences(of: "12:00:00.000000Z", with: "13:00:00.000000+01:00")
            case .sevenFractionDigits: json.replacingOccurrences(of: "12:00:00.000000Z", with: "12:00:00.0000009Z")
            case .leapSecond: json.replacingOccurrences(of: "12:00:00.000000Z", with: "23:59:60.000000Z")
            case .lowerCaseT: json.replacingOccurrences(of: "T12:00:00", with: "t12:00:00")
            }
        }
    }

    @Test(arguments: Respelling.allCases)
    func otherSpellingsAreWrittenAnew(_ respelling: Respelling) throws {
        let name = respelling.rawValue
        var rng = SplitMix64(seed: 8)
        let noon = Timestamp(rfc3339: "2026-12-03T12:00:00Z")!
        let envelope = Envelope(messageID: .v7(now: noon, rng: &rng), originTS: noon, ackTS: noon, topic: try Topic("a.b"),
                                messageData: ["k": 1])
        let bytes = Array(respelling.apply(String(decoding: envelope.serialized(), as: UTF8.self), id: envelope.messageID.description).utf8)
        #expect(bytes != envelope.serialized(), "\(name): the respelling must change the bytes")
        #expect(canonical(bytes) != nil, "\(name): still the writer's layout")
        #expect(canonical(bytes)?.verbatim == false, "\(name)")
        let relayed = try RelayedEnvelope(bytes, id: envelope.messageID, node: "n2", now: noon, limits: limits, rng: &rng)
        #expect(!relayed.keptPeerBytes, "\(name)")
        #expect(relayed.json == relayed.envelope.serialized(), "\(name)")
    }

    /// Free-form values keep the sender's spelling (as a broker keeps a payload); they read back
    /// as the same values.
    @Test func freeFormValuesKeepTheirSpelling() throws {
        var rng = SplitMix64(seed: 9)
        let envelope = Envelope(messageID: .v7(now: base, rng: &rng), originTS: base, ackTS: base, topic: try Topic("a"),
                                messageData: ["k": [1, 2]])
        let spaced = String(decoding: envelope.serialized(), as: UTF8.self)
            .replacingOccurrences(of: #""message_data":{"k":[1,2]}"#, with: #""message_data":{ "k" : [1, 2.0e0] }"#)
        let relayed = try RelayedEnvelope(Array(spaced.utf8), id: envelope.messageID, node: "n2", now: base, limits: limits, rng: &rng)
        #expect(relayed.keptPeerBytes)
        #expect(String(decoding: relayed.json, as: UTF8.self).contains(#"{ "k" : [1, 2.0e0] }"#))
        #expect(try generalDraft(relayed.json).normalized(node: "x", now: base, rng: &rng, addHop: false) == relayed.envelope)
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
