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
// returns, the general path returns too (a fuzz test holds the two together). It does take
// the writer's layout with other spellings of the same values (escapes, an upper-case id, a
// timestamp with an offset); `verbatim` says whether it saw any.
extension JSONParser {
    /// An envelope read by `canonicalEnvelope`.
    struct CanonicalEnvelope {
        var draft: EnvelopeDraft
        /// Offset of the `]` that closes `hops`: where a relay adds itself.
        var hopsClose: Int
        /// True when the bytes of every field outside the three free-form values (`message_data`,
        /// `message_metadata`, `policy_decision`) are exactly what `Envelope.serialized()`
        /// writes for the draft's values. False when a peer spelled one differently (an
        /// escape the writer would not use, an upper-case id, a timestamp with an offset or
        /// a seventh fraction digit) or repeated a destination subject, which the draft drops.
        var verbatim: Bool
    }

    /// The envelope in the layout `Envelope.serialized()` writes (its keys, in its order, no
    /// whitespace between them), or nil for any other bytes (valid or not).
    static func canonicalEnvelope(_ bytes: UnsafeRawBufferPointer, limits: JSONLimits) -> CanonicalEnvelope? {
        // The general path checks the depth of the hops' objects (2) and the length of every key
        // (the longest is 23 bytes) before their values; below those limits it alone decides.
        guard limits.maxDepth > 2, limits.maxStringBytes >= 64, let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
        var parser = JSONParser(bytes: base.assumingMemoryBound(to: UInt8.self), count: bytes.count, limits: limits)
        return try? parser.readCanonicalEnvelope()
    }

    private mutating func readCanonicalEnvelope() throws(JSONError) -> CanonicalEnvelope {
        var verbatim = true
        try literal(#"{"message_uuid":"#)
        let idText = try canonicalString(&verbatim)
        guard let id = MessageID(string: idText) else { throw notCanonical }
        // The writer's ids are lower-case; MessageID reads either.
        if idText.utf8.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }) { verbatim = false }
        try literal(#","origin_ts":"#)
        let origin = try canonicalTimestamp(&verbatim)
        try literal(#","ack_ts":"#)
        let ack = isNull() ? nil : try canonicalTimestamp(&verbatim)
        try literal(#","topic":"#)
        let topicText = try canonicalString(&verbatim)
        guard !topicText.isEmpty, let topic = try? Topic(topicText) else { throw notCanonical }
        var draft = EnvelopeDraft(topic: topic)
        draft.messageID = id
        draft.originTS = origin
        draft.ackTS = ack
        try literal(#","message_type":"#)
        draft.messageType = try canonicalIdentifier(&verbatim)
        try literal(#","source_subject_id":"#)
        draft.sourceSubjectID = isNull() ? nil : try canonicalIdentifier(&verbatim)
        try literal(#","destination_subject_ids":["#)
        if !(try next("]")) {
            repeat {
                let subject = try canonicalIdentifier(&verbatim)
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
                let node = try canonicalString(&verbatim)
                try literal(#","ts":"#)
                draft.hops.append(Hop(node: node, ts: try canonicalTimestamp(&verbatim)))
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

    /// A string value. Its bytes are the writer's spelling when they hold no escape: the writer
    /// escapes only what JSON requires, and the parser refuses whatever it would have had to.
    private mutating func canonicalString(_ verbatim: inout Bool) throws(JSONError) -> String {
        guard index < end, bytes[index] == UInt8(ascii: "\"") else { throw notCanonical }
        let start = index
        let text = try parseString()
        if index - start != text.utf8.count + 2 { verbatim = false }
        return text
    }

    private mutating func canonicalIdentifier(_ verbatim: inout Bool) throws(JSONError) -> String {
        let text = try canonicalString(&verbatim)
        guard EnvelopeDecoder.identifierProblem(text) == nil else { throw notCanonical }
        return text
    }

    /// A timestamp string, read from its bytes when it has no escapes. The writer's form is
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, 27 bytes; any other form RFC 3339 allows reads the same
    /// instant but is spelled differently.
    private mutating func canonicalTimestamp(_ verbatim: inout Bool) throws(JSONError) -> Timestamp {
        guard index < end, bytes[index] == UInt8(ascii: "\"") else { throw notCanonical }
        let start = index + 1
        var close = start
        while close < end, close - start <= 40, bytes[close] != UInt8(ascii: "\"") {
            guard bytes[close] >= 0x20, bytes[close] < 0x80, bytes[close] != UInt8(ascii: "\\") else { throw notCanonical }
            close += 1
        }
        let text = UnsafeBufferPointer(start: bytes + start, count: close - start)
        guard close < end, bytes[close] == UInt8(ascii: "\""), let ts = Timestamp(rfc3339UTF8: text) else { throw notCanonical }
        // A leap second (":60") reads as :59, which is what the writer then writes.
        if text.count != 27 || text[10] != UInt8(ascii: "T") || text[19] != UInt8(ascii: ".") || text[26] != UInt8(ascii: "Z")
            || text[17] == UInt8(ascii: "6") {
            verbatim = false
        }
        index = close + 1
        return ts
    }

    /// Any JSON value one level inside the envelope, read (and checked) by the general parser.
    private mutating func canonicalValue() throws(JSONError) -> JSONValue {
        guard index < end else { throw notCanonical }
        return try parseValue(depth: 1)
    }
}
