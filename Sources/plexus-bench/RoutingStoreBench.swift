import Foundation
import Logging
import NIOCore
import PlexusAPI
import PlexusCore
import PlexusStore

/// The store alone, in this process: what one forwarding hop asks of a node's disk per message —
/// its log row, subject rows and outbox row in a group commit, then the outbox release — with
/// the node's default durability (`synchronous = full`). Appenders in parallel, batches the size
/// of an ingest frame, as the relay's batched appends make them. The ceiling the log puts on a
/// node's forwarding rate on this machine, measured beside the node's own figure.
struct RoutingStoreBench: Sendable {
    var message: RoutingMessage
    var seconds: Double = 5
    var appenders = 4
    var batch = 200
    /// `.normal` is measured beside JetStream, whose ack means the same (written, not fsynced).
    var synchronous: SQLiteStoreOptions.Synchronous = .full

    struct Result: Sendable {
        var messages: Int
        var seconds: Double
        var messagesPerSecond: Double { seconds > 0 ? Double(messages) / seconds : 0 }
    }

    func run() async throws -> Result {
        let directory = try TempDirectory("routing-store")
        defer { directory.remove() }
        var quiet = Logger(label: "plexus.bench.store")
        quiet.logLevel = .warning
        var options = SQLiteStoreOptions()
        options.synchronous = synchronous
        let store = try await SQLiteMessageStore.open(path: directory.file("log.sqlite"), options: options, logger: quiet)
        let template = try message.sampleEnvelope()
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        let watch = Stopwatch()
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for a in 0..<appenders {
                group.addTask {
                    var rng = SplitMix64(seed: UInt64(a + 1))
                    var written = 0
                    while ContinuousClock.now < deadline {
                        let records = (0..<batch).map { _ in RoutingMessage.relayRecord(of: template, rng: &rng) }
                        _ = try await store.append(records)
                        store.release(records.map(\.envelope.messageID))
                        written += records.count
                    }
                    return written
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = watch.seconds
        try await store.close()
        return Result(messages: counts, seconds: elapsed)
    }
}
