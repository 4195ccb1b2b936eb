import PlexusCore
import PlexusStore

/// The benchmark's message as n1's pipeline accepts it (the link and storage benchmarks), and
/// the log records the in-process storage benchmarks write: copies under fresh ids, relay rows
/// bound for n3.
extension RoutingMessage {
    func sampleEnvelope(to subject: String = RoutingThroughputBench.remoteSubject, seq: Int = 1) throws -> Envelope {
        var rng = SystemRandomNumberGenerator()
        let input = Array(input(to: subject, seq: seq, monotonic: Self.monotonicNow(), wall: Self.wallMicroseconds()).utf8)
        guard let envelope = try IngestPipeline(node: RoutingCluster.id("n1"))
            .accept(input, now: Timestamp(microseconds: Self.wallMicroseconds()), rng: &rng).first
        else { throw BenchError("the sample message made no envelope") }
        return envelope
    }

    static func relayRecord(of template: Envelope, rng: inout SplitMix64) -> LogRecord {
        var envelope = template
        envelope.messageID = .v7(now: template.originTS, rng: &rng)
        return LogRecord(envelope: envelope, role: .relay, outbox: [.node(NodeID(RoutingCluster.id("n3")))], hopCount: 1)
    }
}
