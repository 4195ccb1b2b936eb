/// What a node makes of the bytes a peer hands on, before it takes custody of them.
///
/// A node never trusts a peer's bytes: the payload must be a valid envelope (by the same rules as
/// any input) carrying the id its frame claims. The node then appends itself to `hops`.
///
/// Peers write envelopes in one form (`Envelope.serialized()`), which is read directly, without
/// building the JSON object first (JSONParser+Envelope.swift); and then the wire JSON is the
/// peer's bytes with this node's hop added where `hops` closes, instead of a second
/// serialisation of the whole envelope. Any other form takes the general path of client input
/// (parse, then `EnvelopeDecoder`), which names the exact error for what it refuses.
public struct RelayedEnvelope: Sendable {
    public var envelope: Envelope
    /// The envelope's wire JSON, this node's hop included: what is logged and sent on.
    public var json: [UInt8]

    public init(_ payload: [UInt8], id: MessageID, node: String, now: Timestamp, limits: IngestLimits,
                rng: inout some RandomNumberGenerator) throws(PlexusError) {
        let jsonLimits = JSONLimits(maxDepth: limits.maxDepth)
        let canonical = payload.withUnsafeBytes { JSONParser.canonicalEnvelope($0, limits: jsonLimits) }
        let draft: EnvelopeDraft
        if let canonical {
            draft = canonical.draft
        } else {
            let value: JSONValue
            do { value = try JSONParser.parse(payload, limits: jsonLimits) } catch {
                throw PlexusError(.invalidJSON, error.message)
            }
            draft = try EnvelopeDecoder.decode(value, limits: limits)
        }
        guard draft.messageID == id else {
            throw PlexusError(.invalidField, "the frame's message id \(id) differs from the envelope's")
        }
        var envelope = draft.normalized(node: node, now: now, rng: &rng)
        envelope.messageID = id
        self.envelope = envelope
        // `normalized` fills a missing ack_ts, which the peer's bytes would then lack.
        if let canonical, canonical.verbatim, draft.ackTS != nil, let hop = envelope.hops.last {
            var json: [UInt8] = []
            json.reserveCapacity(payload.count + 64)
            json.append(contentsOf: payload[..<canonical.hopsClose])
            if !draft.hops.isEmpty { json.append(UInt8(ascii: ",")) }
            hop.write(into: &json)
            json.append(contentsOf: payload[canonical.hopsClose...])
            self.json = json
        } else {
            self.json = envelope.serialized()
        }
    }
}
