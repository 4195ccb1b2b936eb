import Logging
import NIOCore
import PlexusAPI
import PlexusCore
import PlexusNATS

/// Logs what clients publish on the ingest subjects, in batches (one append per batch). A
/// publisher that sent a request (a reply subject) gets the acknowledgement once the message is
/// durable — `{"status":"ok","message_uuid":...}` or `{"status":"error","error":{...}}`, the
/// WebSocket ack's shape — which makes NATS ingest at least once for it. A plain publish is core
/// NATS, at most once: what the subscription had to drop is counted in the health.
struct NATSIngest: Sendable {
    let client: NATSClient
    let queue: BatchQueue<NATSMessage>
    let batch: Int
    let ingestor: any MessageIngestor
    let monitor: EdgeMonitor
    let logger: Logger

    /// Moves one subscription's messages into the batch queue until it ends.
    func pump(_ subscription: NATSSubscription) async {
        for await message in subscription {
            await queue.push(message)
        }
    }

    /// Loops taking batches from the queue at once, so one batch's parsing overlaps another's
    /// commit (core NATS promises no order across publishers; one publisher's messages may be
    /// logged out of order under load).
    static let workers = 4

    /// Logs batches from the queue until it is closed and drained.
    func run() async {
        while true {
            let messages = await queue.next(max: batch)
            if messages.isEmpty { return }
            await process(messages)
        }
    }

    func process(_ messages: [NATSMessage]) async {
        let items = messages.map { IngestItem(body: $0.payload) }
        // The messages are only in memory here; hold them while the log is unavailable (or a
        // rate limit is exhausted) rather than drop what a publisher may be waiting to hear about.
        let results = await ingestor.ingestWaiting(items, via: .nats) { results in
            let why = results.contains(where: \.isUnavailable) ? "the log is unavailable" : "a rate limit is exhausted"
            monitor.failed(EdgeError(.server, "\(why); \(messages.count) NATS messages wait in memory"))
        }
        var logged = 0, rejected = 0
        for (message, result) in zip(messages, results) {
            switch result {
            case .success(let receipt): if !receipt.duplicate { logged += 1 }
            case .failure: rejected += 1
            }
            guard let replyTo = message.replyTo else { continue }
            let ack = MessageReplies.webSocketAck(result.map { [$0] })
            do {
                try client.publish(ByteBuffer(bytes: ack.serialized()), subject: replyTo)
            } catch {
                monitor.failed(error)
            }
        }
        monitor.update {
            $0.ingested += logged
            $0.rejected += rejected
        }
        if rejected > 0 {
            logger.notice("nats ingest: messages failed validation", metadata: ["plexus.count": "\(rejected)"])
        }
    }
}
