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
    /// What to do with the core's `deliver` for a message persisted here (it comes in the same
    /// loop turn as `persisted`).
    enum Delivery {
        /// `streamed`: the origin's ingest already showed it to live-stream clients and pushes.
        case deliver(Envelope, streamed: Bool)
        /// The log already had it as delivered here (a copy after a restart): not again.
        case skip
    }
    private let awaitingDelivery = Mutex<[MessageID: Delivery]>([:])

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
                if deliverHere { awaitingDelivery.withLock { $0[envelope.messageID] = .deliver(envelope, streamed: true) } }
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

    /// The origin's records were committed (with these outcomes) or the commit failed (nil):
    /// release them to the routing core, or make it forget them so a retry is taken afresh.
    func committed(_ records: [LogRecord], _ outcomes: [AppendOutcome]?) {
        for (i, record) in records.enumerated() {
            let id = record.envelope.messageID
            if let outcomes {
                if outcomes[i] == .duplicate {
                    // A client's retry of a message logged before: its recipients had it already.
                    awaitingDelivery.withLock { if $0[id] != nil { $0[id] = .skip } }
                }
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
            if offer.deliverHere {
                awaitingDelivery.withLock { $0[offer.id] = outcome == .duplicate ? .skip : .deliver(envelope, streamed: false) }
            }
            driver.persisted(offer.id, payload: record.json)
        } catch {
            logger.warning("could not log a forwarded message; the sender will retry",
                           metadata: ["plexus.message": "\(offer.id)", "plexus.error": "\(error)"])
            driver.abandon(offer.id)
        }
    }

    func deliver(_ id: MessageID) {
        switch awaitingDelivery.withLock({ $0.removeValue(forKey: id) }) {
        case .deliver(let envelope, let streamed):
            delivery.deliver(envelope, stream: !streamed, homedHere: driver.homedHere(envelope.destinationSubjectIDs))
            return
        case .skip:
            return
        case nil:
            break
        }
        // Resolved late (a subject whose home appeared after the message was sent): read it back.
        Task {
            guard let stored = try? await store.message(id: id),
                  let value = try? JSONParser.parse(stored.json), let draft = try? EnvelopeDecoder.decode(value, limits: limits)
            else { return }
            var rng = SystemRandomNumberGenerator()
            let envelope = draft.normalized(node: driver.nodeID.rawValue, now: clock(), rng: &rng, addHop: false)
            delivery.deliver(envelope, stream: false, homedHere: envelope.destinationSubjectIDs)
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
    let pushes: PushSubscriptions

    /// - Parameter stream: false at the origin, whose ingest already showed the message to
    ///   live-stream clients and push subscriptions.
    /// - Parameter homedHere: recipients homed at this node: their inboxes are opened if no
    ///   session has done it yet (after a restart), so the next session finds the message.
    func deliver(_ envelope: Envelope, stream: Bool, homedHere: [String]) {
        let frame = ByteBuffer(bytes: envelope.json.serialized())
        if stream {
            hub.publish([envelope], frames: [frame])
            pushes.offer([envelope], frames: [frame])
        }
        inboxes.deliver(envelope.messageID, to: envelope.destinationSubjectIDs, frame: frame, opening: homedHere)
    }
}
