import PlexusCore

/// What a relay does with each envelope a peer hands on before logging it (`RelayedEnvelope`),
/// in this process, on one thread: read and check it, add its own hop, produce the wire JSON —
/// beside the general path it replaced for envelopes in the peers' form (parse into a JSON
/// tree, decode, normalise, serialise again).
struct RelayValidationBench: Sendable {
    var envelope: [UInt8]
    var count = 200_000

    struct Result: Sendable {
        var name: String
        var microseconds: Double
    }

    func run() throws -> [Result] {
        guard let id = envelope.withUnsafeBytes({ RoutingMessage.uuid(in: $0).flatMap { MessageID(utf8: $0) } }) else {
            throw BenchError("the sample envelope has no message_uuid")
        }
        let limits = IngestLimits()
        let now = Timestamp(microseconds: RoutingMessage.wallMicroseconds())
        var rng = SplitMix64(seed: 9)
        var bytes = 0
        let general = Stopwatch()
        for _ in 0..<count {
            let value = try JSONParser.parse(envelope, limits: JSONLimits(maxDepth: limits.maxDepth))
            let draft = try EnvelopeDecoder.decode(value, limits: limits)
            var normalized = draft.normalized(node: "bench.n2", now: now, rng: &rng)
            normalized.messageID = id
            bytes &+= normalized.serialized().count
        }
        let generalSeconds = general.seconds
        let relayed = Stopwatch()
        for _ in 0..<count {
            bytes &+= try RelayedEnvelope(envelope, id: id, node: "bench.n2", now: now, limits: limits, rng: &rng).json.count
        }
        let relayedSeconds = relayed.seconds
        guard bytes > 0 else { throw BenchError("nothing was produced") }
        return [
            Result(name: "general path (JSON tree, decode, serialise)", microseconds: generalSeconds * 1e6 / Double(count)),
            Result(name: "RelayedEnvelope (peers' form read in place)", microseconds: relayedSeconds * 1e6 / Double(count)),
        ]
    }
}
