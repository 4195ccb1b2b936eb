/// What a node makes of the bytes a peer hands on, before it takes custody of them.
///
/// A node never trusts a peer's bytes: the payload must be a valid envelope (by the same rules as
/// any input) carrying the id its frame claims. The node then appends itself to `hops`.
///
/// Peers write envelopes in one form (`Envelope.serialized()`), which is read directly, without
/// building the JSON object first (JSONParser+Envelope.swift); and then the wire JSON is the
/// peer's bytes with this node's hop added where `hops` closes, instead of a second
/// serialisation of the whole envelope. Any other layout takes the general path of client input
/// (parse, then `EnvelopeDecoder`), which names the exact error for what it refuses.
///
/// The peer's bytes are kept only when every field the log also keeps in columns (id, times,
/// topic, type, subjects, hops) is spelled as this node's writer would spell it, so the JSON
/// and the columns agree byte for byte. The three free-form values — `message_data`,
/// `message_metadata`, `policy_decision` — keep the spelling they were given, as a broker keeps
/// a payload: whitespace or another spelling of a number inside them (which only a peer not
/// running Plexus's writer produces) reads back as the same JSON values.
public struct RelayedEnvelope: Sendable {
    public var envelope: Envelope
    /// The envelope's wire JSON, this node's hop included: what is logged and sent on.
    public var json: [UInt8]
    /// Whether `json` is the peer's bytes with the hop spliced in (else it was serialised anew).
    let keptPeerBytes: Bool

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
            keptPeerBytes = true
        } else {
            self.json = envelope.serialized()
            keptPeerBytes = false
        }
    }
}
