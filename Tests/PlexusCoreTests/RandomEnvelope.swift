@testable import PlexusCore

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
