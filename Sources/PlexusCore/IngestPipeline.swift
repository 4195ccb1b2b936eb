/// The pure part of ingest: bytes in, normalised envelopes (or one clear error) out.
///
/// Every ingress — HTTP, WebSocket, later Redis, NATS and peers — goes through here, so the rules
/// for size, depth, shape and topic are the same everywhere. A batch is all-or-nothing: if one
/// element is bad the whole batch is refused with a pointer to it, so nothing is half-accepted.
public struct IngestPipeline: Sendable {
    public var limits: IngestLimits
    /// This node's name, stamped into each message's `hops`.
    public var node: String

    public init(node: String, limits: IngestLimits = .default) {
        self.node = node
        self.limits = limits
    }

    /// Parses and normalises a body. `now` and `rng` are inputs so the result is reproducible.
    public func accept(
        _ bytes: UnsafeRawBufferPointer,
        now: Timestamp,
        rng: inout some RandomNumberGenerator
    ) throws(PlexusError) -> [Envelope] {
        let value = try parse(bytes)
        return try normalize(value, now: now, rng: &rng)
    }

    public func accept(
        _ bytes: [UInt8],
        now: Timestamp,
        rng: inout some RandomNumberGenerator
    ) throws(PlexusError) -> [Envelope] {
        // withUnsafeBytes is not typed-throws aware; carry the result out as a Result.
        let parsed: Result<JSONValue, PlexusError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(PlexusError) in try parse(buffer) }
        }
        return try normalize(try parsed.get(), now: now, rng: &rng)
    }

    /// Size and JSON checks, with the parser's reason turned into a `PlexusError`.
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(PlexusError) -> JSONValue {
        if bytes.count > limits.maxBodyBytes {
            throw PlexusError(.tooLarge, "the body is \(bytes.count) bytes; the limit is \(limits.maxBodyBytes)")
        }
        do {
            return try JSONParser.parse(bytes, limits: JSONLimits(maxDepth: limits.maxDepth))
        } catch {
            throw PlexusError(error.code == .tooDeep ? .tooDeep : .invalidJSON, error.message)
        }
    }

    public func normalize(
        _ value: JSONValue,
        now: Timestamp,
        rng: inout some RandomNumberGenerator
    ) throws(PlexusError) -> [Envelope] {
        let drafts = try EnvelopeDecoder.decodeBatch(value, limits: limits)
        return drafts.map { $0.normalized(node: node, now: now, rng: &rng) }
    }
}
