import Logging
import NIOCore
import PlexusAPI
import PlexusCore
import PlexusPeer
import PlexusStore
import Synchronization

/// The node's side of store-and-forward: makes what the routing core accepts durable in the
/// log and outbox (one transaction), then tells the driver, so an ack never precedes the
/// commit; delivers messages for local recipients; keeps the outbox and dead letters.
final class MeshForwarder: ForwardingSink {
    let driver: MeshDriver
    let store: any MessageStore
    let delivery: LocalDelivery
    let limits: IngestLimits
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    /// Messages persisted here and waiting for the core's `deliver` (the same loop turn);
    /// `streamed`: the origin's ingest already showed it to live-stream clients.
    private let awaitingDelivery = Mutex<[MessageID: (envelope: Envelope, streamed: Bool)]>([:])

    init(driver: MeshDriver, store: any MessageStore, delivery: LocalDelivery, limits: IngestLimits,
         clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.driver = driver
        self.store = store
        self.delivery = delivery
        self.limits = limits
        self.clock = clock
        self.logger = logger
    }

    // MARK: Origin

    /// Offers freshly ingested envelopes to the routing core and returns the log records, with
    /// the outbox targets each is to be held for. Throws 503 when the outbox is full.
    func originate(_ envelopes: [Envelope]) async throws(PlexusError) -> [LogRecord] {
        var records: [LogRecord] = []
        records.reserveCapacity(envelopes.count)
        for envelope in envelopes {
            var record = LogRecord(envelope: envelope)
            let admission: Admission
            do {
                admission = try await driver.originate(envelope.messageID, payload: record.json, destinations: envelope.destinationSubjectIDs,
                                                       topic: envelope.topic.value)
            } catch {
                throw PlexusError(.unavailable, "the mesh is not running yet; nothing was acknowledged, retry later")
            }
            switch admission {
            case .accepted(_, let deliverHere, let targets):
                record.outbox = targets
                if deliverHere { awaitingDelivery.withLock { $0[envelope.messageID] = (envelope, true) } }
            case .busy:
                for r in records { driver.abandon(r.envelope.messageID) }
                throw PlexusError(.unavailable, "the forwarding outbox is full (\(driver.outboxLimit) messages); retry later")
            case .duplicate, .refused:
                break
            }
            records.append(record)
        }
        return records
    }

    /// The origin's records were committed (`true`) or the commit failed: release them to the
    /// routing core, or make it forget them so the client's retry is taken afresh.
    func committed(_ records: [LogRecord], _ ok: Bool) {
        for record in records {
            let id = record.envelope.messageID
            if ok {
                driver.persisted(id, payload: record.json)
            } else {
                awaitingDelivery.withLock { _ = $0.removeValue(forKey: id) }
                driver.abandon(id)
            }
        }
    }

    // MARK: ForwardingSink

    func accept(_ offer: ForwardOffer) {
        Task { await take(offer) }
    }

    private func take(_ offer: ForwardOffer) async {
        let now = clock()
        var envelope: Envelope
        do throws(PlexusError) {
            let value: JSONValue
            do { value = try JSONParser.parse(offer.payload, limits: JSONLimits(maxDepth: limits.maxDepth)) } catch {
                throw PlexusError(.invalidJSON, error.message)
            }
            let draft = try EnvelopeDecoder.decode(value, limits: limits)
            guard draft.messageID == offer.id else {
                throw PlexusError(.invalidField, "the frame's message id \(offer.id) differs from the envelope's")
            }
            var rng = SystemRandomNumberGenerator()
            envelope = draft.normalized(node: driver.nodeID.rawValue, now: now, rng: &rng)
        } catch {
            logger.warning("refusing a forwarded message that is not a valid envelope",
                           metadata: ["plexus.peer": "\(offer.from)", "plexus.message": "\(offer.id)", "plexus.error": "\(error.message)"])
            store.deadLetter([DeadLetter(messageID: offer.id, at: now, reason: "from \(offer.from): \(error.message)",
                                         targets: offer.targets, json: offer.payload)])
            driver.discard(offer.id)
            return
        }
        envelope.messageID = offer.id
        let record = LogRecord(envelope: envelope, role: offer.role, outbox: offer.targets, hopCount: offer.hopCount)
        do {
            let outcome = try await store.append([record]).first
            if offer.deliverHere, outcome != .duplicate {
                awaitingDelivery.withLock { $0[offer.id] = (envelope, false) }
            }
            driver.persisted(offer.id, payload: record.json)
        } catch {
            logger.warning("could not log a forwarded message; the sender will retry",
                           metadata: ["plexus.message": "\(offer.id)", "plexus.error": "\(error)"])
            driver.abandon(offer.id)
        }
    }

    func deliver(_ id: MessageID) {
        if let waiting = awaitingDelivery.withLock({ $0.removeValue(forKey: id) }) {
            delivery.deliver(waiting.envelope, stream: !waiting.streamed)
            return
        }
        // Resolved late (a subject whose home appeared after the message was sent): read it back.
        Task {
            guard let stored = try? await store.message(id: id),
                  let value = try? JSONParser.parse(stored.json), let draft = try? EnvelopeDecoder.decode(value, limits: limits)
            else { return }
            var rng = SystemRandomNumberGenerator()
            delivery.deliver(draft.normalized(node: driver.nodeID.rawValue, now: clock(), rng: &rng, addHop: false), stream: false)
        }
    }

    func released(_ id: MessageID) {
        store.release([id])
    }

    func deadLetter(_ id: MessageID, targets: [RouteTarget], reason: String, payload: [UInt8]?) {
        logger.warning("dead letter", metadata: ["plexus.message": "\(id)", "plexus.reason": "\(reason)",
                                                 "plexus.targets": "\(targets.map(\.description))"])
        store.deadLetter([DeadLetter(messageID: id, at: clock(), reason: reason, targets: targets, json: payload)])
    }
}

/// Hands a message to everyone on this node who should see it: live-stream clients and the
/// inboxes of attached subjects it is addressed to.
struct LocalDelivery: Sendable {
    let hub: StreamHub
    let inboxes: SubjectInboxes

    func deliver(_ envelope: Envelope, stream: Bool) {
        let frame = ByteBuffer(bytes: envelope.json.serialized())
        if stream { hub.publish([envelope], frames: [frame]) }
        inboxes.deliver(envelope.messageID, to: envelope.destinationSubjectIDs, frame: frame)
    }
}
