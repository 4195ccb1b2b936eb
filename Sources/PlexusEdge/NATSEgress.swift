import NIOCore
import PlexusCore
import PlexusNATS
import PlexusStore

/// Publishes delivered messages to NATS subject = topic, as the original did. Core NATS: the
/// batch is written, then a PING/PONG (`flush`) confirms the server read it before the log
/// follower moves on. JetStream: every message waits for the stream's acknowledgement, with
/// `Nats-Msg-Id` = `message_uuid` so a batch sent again after a failure is stored once.
struct NATSEgress: Sendable {
    let client: NATSClient
    let configuration: NATSEdgeConfiguration.Egress
    let monitor: EdgeMonitor
    var ackTimeout: Duration = .seconds(5)

    func publish(_ batch: [StoredMessage]) async throws {
        let chosen = batch.filter { configuration.matches($0.topic) }
        guard !chosen.isEmpty else { return }
        var published = 0
        if let jetStream = configuration.jetStream {
            published = try await publishAcknowledged(chosen, inFlight: jetStream.inFlight)
        } else {
            for message in chosen {
                do throws(NATSClientError) {
                    try client.publish(ByteBuffer(bytes: message.json), subject: message.topic)
                    published += 1
                } catch {
                    guard Self.isPermanent(error) else { throw error }
                    skipped(message, error)
                }
            }
            try await client.flush()
        }
        monitor.update { $0.published += published }
    }

    private func publishAcknowledged(_ messages: [StoredMessage], inFlight: Int) async throws -> Int {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            var published = 0
            var running = 0
            for message in messages {
                if running == inFlight, let done = try await group.next() {
                    running -= 1
                    if done { published += 1 }
                }
                group.addTask {
                    do {
                        _ = try await client.jetStreamPublish(
                            ByteBuffer(bytes: message.json), subject: message.topic, messageID: message.messageID.description, timeout: ackTimeout)
                        return true
                    } catch let error as NATSClientError where Self.isPermanent(error) {
                        skipped(message, error)
                        return false
                    }
                }
                running += 1
            }
            for try await done in group where done { published += 1 }
            return published
        }
    }

    /// A topic NATS cannot carry or a message above `max_payload` fails the same way every time:
    /// counted and skipped, so one message cannot stall the egress for good.
    static func isPermanent(_ error: NATSClientError) -> Bool {
        [.invalidSubject, .invalidHeader, .payloadTooLarge].contains(error.code)
    }

    private func skipped(_ message: StoredMessage, _ error: NATSClientError) {
        monitor.failed(EdgeError(.server, "message \(message.messageID) on \(message.topic) not published: \(error.message)"))
    }
}
