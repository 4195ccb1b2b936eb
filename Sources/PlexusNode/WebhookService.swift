import Logging
import PlexusAPI
import PlexusCore
import PlexusWebhooks
import ServiceLifecycle
import Synchronization

/// Runs the webhook dispatcher for the node's lifetime: its endpoints follow the configuration
/// store, and the constraint checker's events (denied, invalid, routed, tagged) are queued to it.
///
/// The dispatcher (and its SQLite file) is opened when the service runs and closed when it ends,
/// never in the node's initialiser: a node whose service group stops early must not leave an
/// open database behind.
final class WebhookService: Service, Sendable {
    let configuration: WebhookDispatcher.Configuration
    let config: ConfigStore
    let addressGuard: AddressGuard
    let logger: Logger
    let events: AsyncStream<WebhookEvent>
    /// Where the checker's notifications go (queued until the dispatcher is open).
    let eventQueue: AsyncStream<WebhookEvent>.Continuation
    private let opened = Mutex<WebhookDispatcher?>(nil)

    init(configuration: WebhookDispatcher.Configuration, config: ConfigStore, addressGuard: AddressGuard, logger: Logger) {
        self.configuration = configuration
        self.config = config
        self.addressGuard = addressGuard
        self.logger = logger
        (events, eventQueue) = AsyncStream.makeStream(of: WebhookEvent.self, bufferingPolicy: .bufferingOldest(10_000))
    }

    /// The dispatcher while the service runs.
    var dispatcher: WebhookDispatcher? { opened.withLock { $0 } }

    func run() async throws {
        // Opening and closing run in their own tasks, shielded from this service's cancellation
        // (a node stopped right after it started cancels it): a SQLite statement cut short by
        // cancellation keeps the database from closing, and sqlite-nio asserts on an unclosed
        // connection.
        let configuration = configuration, logger = logger
        let dispatcher = try await Task { try await WebhookDispatcher.open(configuration: configuration, logger: logger) }.value
        opened.withLock { $0 = dispatcher }
        await serve(dispatcher)
        opened.withLock { $0 = nil }
        await Task { await dispatcher.close() }.value
    }

    private func serve(_ dispatcher: WebhookDispatcher) async {
        // A change only wakes the follower, which reads the store's current state: snapshots
        // handed over by concurrent writers could otherwise arrive out of order.
        let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        config.observe { _ in continuation.yield() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await dispatcher.run() }
            group.addTask {
                var versions: [String: Int64] = [:]
                for await _ in changes { await self.follow(dispatcher, &versions) }
            }
            group.addTask {
                for await event in self.events {
                    do { _ = try await dispatcher.publish(event) } catch {
                        self.logger.warning("webhook event not queued", metadata: ["plexus.event": "\(event.kind)", "plexus.error": "\(error)"])
                    }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        continuation.finish()
    }

    /// Hands the dispatcher the endpoints of the current configuration. An endpoint this node
    /// cannot use (its allowlist differs from the writer's) is left out alone, with a warning; a
    /// new version of an endpoint a 410 disabled here enables it again.
    func follow(_ dispatcher: WebhookDispatcher, _ versions: inout [String: Int64]) async {
        var endpoints: [WebhookEndpoint] = []
        for item in config.list(.webhooks) {
            guard let value = item.value else { continue }
            do throws(PlexusError) {
                let endpoint = try WebhookSettings.endpoint(item.key.name, value)
                try endpoint.validate(addressGuard: addressGuard)
                endpoints.append(endpoint)
            } catch {
                logger.warning("webhook endpoint left out on this node", metadata: ["plexus.webhook": "\(item.key.name)", "plexus.error": "\(error.message)"])
                continue
            }
            if let seen = versions[item.key.name], seen < item.version, await dispatcher.disabledEndpoints.contains(item.key.name) {
                try? await dispatcher.enable(endpointID: item.key.name)
            }
            versions[item.key.name] = item.version
        }
        do { try await dispatcher.update(endpoints: endpoints) } catch {
            logger.warning("webhook endpoints not updated", metadata: ["plexus.error": "\(error)"])
        }
    }

    /// The checker's notifications as webhook events, queued without waiting (the ingest path
    /// never blocks on webhooks). Built only when some endpoint is configured.
    static func notifier(config: ConfigStore, node: String, clock: @escaping @Sendable () -> Timestamp,
                         into continuation: AsyncStream<WebhookEvent>.Continuation) -> @Sendable ([(event: String, envelope: Envelope)]) -> Void {
        { notes in
            guard !notes.isEmpty, !config.list(.webhooks).isEmpty else { return }
            let now = clock()
            var rng = SystemRandomNumberGenerator()
            for (kind, envelope) in notes {
                let payload: JSONValue = [
                    "message_uuid": .string(envelope.messageID.description), "topic": .string(envelope.topic.value),
                    "source_subject_id": envelope.sourceSubjectID.map { .string($0) } ?? .null,
                    "destination_subject_ids": .array(envelope.destinationSubjectIDs.map { .string($0) }),
                    "node": .string(node), "policy_decision": envelope.policyDecision.map { .object($0) } ?? .null,
                ]
                continuation.yield(WebhookEvent(id: "evt_" + MessageID.v7(now: now, rng: &rng).description, kind: kind,
                                                topic: envelope.topic.value, timestamp: now, payload: payload))
            }
        }
    }
}

extension WebhookService {
    /// One delivery as `GET /v1/webhooks/{id}/deliveries` shows it. Response bodies are never
    /// read, so nothing a receiver says is echoed here.
    static func json(_ record: WebhookDeliveryRecord) -> JSONValue {
        [
            "delivery_id": .integer(record.id), "event_id": .string(record.eventID), "event": .string(record.eventKind),
            "status": .string(record.status.rawValue), "created_at": .string(record.createdAt.rfc3339),
            "next_attempt_at": record.nextAttemptAt.map { .string($0.rfc3339) } ?? .null,
            "failure": record.failureReason.map { .string($0) } ?? .null,
            "attempts": .array(record.attempts.map { attempt in
                [
                    "number": .integer(Int64(attempt.number)), "started_at": .string(attempt.startedAt.rfc3339),
                    "duration_ms": .double(Double(attempt.duration.components.seconds) * 1_000 + Double(attempt.duration.components.attoseconds) / 1e15),
                    "status_code": attempt.statusCode.map { .integer(Int64($0)) } ?? .null,
                    "error": attempt.error.map { .string($0) } ?? .null,
                ]
            }),
        ]
    }
}
