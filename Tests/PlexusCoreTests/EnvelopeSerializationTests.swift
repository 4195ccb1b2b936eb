import Testing
@testable import PlexusCore

/// `Envelope.serialized()` writes the wire form directly; it must give exactly the bytes of the
/// general writer on `Envelope.json`, which the parser, the log and every peer rely on.
@Suite struct EnvelopeSerializationTests {
    let base = Timestamp(microseconds: 1_795_977_723_123_456)

    @Test func everyFieldSetMatchesTheGeneralWriter() throws {
        var rng = SplitMix64(seed: 7)
        let envelope = Envelope(
            messageID: .v7(now: base, rng: &rng), originTS: base, ackTS: base.adding(microseconds: 1),
            topic: try Topic("agents.alpha.events"), messageType: "alert \"quoted\"", sourceSubjectID: "al\\pha",
            destinationSubjectIDs: ["beta", "gämma", "tab\there", "beta"],
            messageData: ["n": 1, "x": [1.5, "s", nil, true], "nested": ["deep": ["e": "\u{1}"]]],
            messageMetadata: ["trace": "t1", "emoji": "👋"],
            hops: [Hop(node: "org.n1", ts: base), Hop(node: "org.n2", ts: base.adding(microseconds: 250))],
            policyDecision: ["action": "allow", "rules": ["r1", "r2"]])
        #expect(envelope.serialized() == envelope.json.serialized())
    }

    @Test func unsetFieldsMatchTheGeneralWriter() throws {
        var rng = SplitMix64(seed: 8)
        let envelope = Envelope(messageID: .v7(now: base, rng: &rng), originTS: base, topic: try Topic("a"))
        let bytes = envelope.serialized()
        #expect(bytes == envelope.json.serialized())
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""ack_ts":null,"#))
        #expect(String(decoding: bytes, as: UTF8.self).hasSuffix(#""message_metadata":{},"hops":[]}"#))
    }

    /// Seeded variety: optional fields on and off, lists of 0–3, data of several shapes.
    @Test func seededEnvelopesMatchTheGeneralWriter() throws {
        var rng = SplitMix64(seed: 0xE17E)
        let data: [JSONValue] = [nil, "text", 42, -7.25, ["k": ["a", 1]], [], [:]]
        for i in 0..<200 {
            let ts = base.adding(microseconds: Int64(i) * 1_001)
            let pick = rng.next()
            let envelope = Envelope(
                messageID: .v7(now: ts, rng: &rng), originTS: ts, ackTS: pick & 1 == 0 ? ts : nil,
                topic: try Topic("t.\(i % 5)"), messageType: "m\(i % 3)", sourceSubjectID: pick & 2 == 0 ? "s\(i)" : nil,
                destinationSubjectIDs: (0..<Int(pick >> 8 % 4)).map { "d\($0)" },
                messageData: data[Int(pick >> 16) % data.count],
                messageMetadata: pick & 4 == 0 ? [:] : ["i": .integer(Int64(i))],
                hops: (0..<Int(pick >> 24 % 4)).map { Hop(node: "n\($0)", ts: ts.adding(microseconds: Int64($0))) },
                policyDecision: pick & 8 == 0 ? nil : ["action": "allow"])
            #expect(envelope.serialized() == envelope.json.serialized(), "envelope \(i)")
        }
    }
}
