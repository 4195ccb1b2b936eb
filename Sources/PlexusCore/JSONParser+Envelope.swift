// The relay's fast path: an envelope read straight from the bytes a peer wrote.
//
// Every node on a path parses every envelope it relays (it never trusts a peer's bytes). The
// general path builds the whole object first — every key a String hashed into an ordered
// dictionary, then looked up again by the decoder — which cost a relay about 14 % of its CPU. A
// peer writes envelopes in one fixed form (`Envelope.serialized()`: the keys in one order, no
// whitespace), so this reader walks that form key by key, comparing key bytes in place and
// reading each value with the parser's own string and value functions. Anything else, or any
// fault, makes it give up; the caller then takes the general path, which reads the other forms
// and names the exact error. So the reader adds no acceptance rule of its own: whatever it
// returns, the general path returns too (a fuzz test holds the two together).
extension JSONParser {
    /// An envelope read by `canonicalEnvelope`.
    struct CanonicalEnvelope {
        var draft: EnvelopeDraft
        /// Offset of the `]` that closes `hops`: where a relay adds itself.
        var hopsClose: Int
        /// False when the draft dropped a repeated destination subject, so that the bytes no
        /// longer say what the draft does.
        var verbatim: Bool
    }

    /// The envelope in exactly the form `Envelope.serialized()` writes, or nil for any other
    /// bytes (valid or not).
    static func canonicalEnvelope(_ bytes: UnsafeRawBufferPointer, limits: JSONLimits) -> CanonicalEnvelope? {
        // The general path checks the depth of the hops' objects (2) and the length of every key
        // (the longest is 23 bytes) before their values; below those limits it alone decides.
        guard limits.maxDepth > 2, limits.maxStringBytes >= 64, let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
        var parser = JSONParser(bytes: base.assumingMemoryBound(to: UInt8.self), count: bytes.count, limits: limits)
        return try? parser.readCanonicalEnvelope()
    }

    private mutating func readCanonicalEnvelope() throws(JSONError) -> CanonicalEnvelope {
        try literal(#"{"message_uuid":"#)
        guard let id = MessageID(string: try canonicalString()) else { throw notCanonical }
        try literal(#","origin_ts":"#)
        let origin = try canonicalTimestamp()
        try literal(#","ack_ts":"#)
        let ack = isNull() ? nil : try canonicalTimestamp()
        try literal(#","topic":"#)
        let topicText = try canonicalString()
        guard !topicText.isEmpty, let topic = try? Topic(topicText) else { throw notCanonical }
        var draft = EnvelopeDraft(topic: topic)
        draft.messageID = id
        draft.originTS = origin
        draft.ackTS = ack
        try literal(#","message_type":"#)
        draft.messageType = try canonicalIdentifier()
        try literal(#","source_subject_id":"#)
        draft.sourceSubjectID = isNull() ? nil : try canonicalIdentifier()
        try literal(#","destination_subject_ids":["#)
        var verbatim = true
        if !(try next("]")) {
            repeat {
                let subject = try canonicalIdentifier()
                if draft.destinationSubjectIDs.contains(subject) { verbatim = false } else { draft.destinationSubjectIDs.append(subject) }
            } while try next(",")
            try literal("]")
        }
        try literal(#","message_data":"#)
        draft.messageData = try canonicalValue()
        try literal(#","message_metadata":"#)
        guard case .object(let metadata) = try canonicalValue() else { throw notCanonical }
        draft.messageMetadata = metadata
        try literal(#","hops":["#)
        if !(try next("]")) {
            repeat {
                try literal(#"{"node":"#)
                let node = try canonicalString()
                try literal(#","ts":"#)
                draft.hops.append(Hop(node: node, ts: try canonicalTimestamp()))
                try literal("}")
            } while try next(",")
            try literal("]")
        }
        let hopsClose = index - 1
        if try next(",") {
            try literal(#""policy_decision":"#)
            guard case .object(let decision) = try canonicalValue() else { throw notCanonical }
            draft.policyDecision = decision
        }
        try literal("}")
        guard index == end else { throw notCanonical }
        return CanonicalEnvelope(draft: draft, hopsClose: hopsClose, verbatim: verbatim)
    }

    /// Why the reader gave up; never shown (the general path reports the real error).
    private var notCanonical: JSONError { JSONError(code: .unexpectedCharacter, offset: index, message: "not the canonical envelope form") }

    /// Steps over `text`, which must come next.
    private mutating func literal(_ text: StaticString) throws(JSONError) {
        guard skip(text) else { throw notCanonical }
    }

    /// Steps over `text` if it comes next.
    private mutating func skip(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard end - index >= count else { return false }
        let expected = text.utf8Start
        for offset in 0..<count where bytes[index + offset] != expected[offset] { return false }
        index += count
        return true
    }

    /// Steps over `byte` if it comes next.
    private mutating func next(_ byte: Unicode.Scalar) throws(JSONError) -> Bool {
        guard index < end else { throw notCanonical }
        guard bytes[index] == UInt8(ascii: byte) else { return false }
        index += 1
        return true
    }

    private mutating func isNull() -> Bool { skip("null") }

    private mutating func canonicalString() throws(JSONError) -> String {
        guard index < end, bytes[index] == UInt8(ascii: "\"") else { throw notCanonical }
        return try parseString()
    }

    private mutating func canonicalIdentifier() throws(JSONError) -> String {
        let text = try canonicalString()
        guard EnvelopeDecoder.identifierProblem(text) == nil else { throw notCanonical }
        return text
    }

    /// A timestamp string, read from its bytes when it has no escapes (as a writer's never has).
    private mutating func canonicalTimestamp() throws(JSONError) -> Timestamp {
        guard index < end, bytes[index] == UInt8(ascii: "\"") else { throw notCanonical }
        let start = index + 1
        var close = start
        while close < end, close - start <= 40, bytes[close] != UInt8(ascii: "\"") {
            guard bytes[close] >= 0x20, bytes[close] < 0x80, bytes[close] != UInt8(ascii: "\\") else { throw notCanonical }
            close += 1
        }
        guard close < end, bytes[close] == UInt8(ascii: "\""),
              let ts = Timestamp(rfc3339UTF8: UnsafeBufferPointer(start: bytes + start, count: close - start))
        else { throw notCanonical }
        index = close + 1
        return ts
    }

    /// Any JSON value one level inside the envelope, read (and checked) by the general parser.
    private mutating func canonicalValue() throws(JSONError) -> JSONValue {
        guard index < end else { throw notCanonical }
        return try parseValue(depth: 1)
    }
}
