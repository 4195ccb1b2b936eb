import PlexusCore
import PlexusStore

/// The log records the in-process storage benchmarks write: the benchmark's message as n1's
/// pipeline accepts it, copied under fresh ids as relay rows bound for n3.
extension RoutingMessage {
    func sampleEnvelope() throws -> Envelope {
        var rng = SystemRandomNumberGenerator()
        let input = Array(input(to: RoutingThroughputBench.remoteSubject, seq: 1, monotonic: Self.monotonicNow(),
                                wall: Self.wallMicroseconds()).utf8)
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
