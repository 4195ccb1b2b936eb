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
///
/// Work crosses onto the driver's event loop once per batch (an ingest frame at the origin,
/// the frames of one loop turn at a relay), never once per message: the loop also runs every
/// peer link, and per-message hand-offs and link flushes were most of its cost.
final class MeshForwarder: ForwardingSink {
    let driver: MeshDriver
    let store: any MessageStore
    let delivery: LocalDelivery
    let limits: IngestLimits
    let clock: @Sendable () -> Timestamp
    /// The constraint checker, applied again to what peers hand on (a node never trusts a
    /// peer's bytes, nor another organisation's rules); nil checks nothing.
    let gate: ConstraintGate?
    let logger: Logger
    /// What to do with the core's `deliver` for a message persisted here (it comes in the same
    /// loop turn as `persisted`).
    enum Delivery {
        /// `json`: the logged bytes, reused as the delivery frame. `streamed`: the origin's
        /// ingest already showed it to live-stream clients and pushes.
        case deliver(Envelope, json: [UInt8], streamed: Bool)
        /// The log already had it as delivered here (a copy after a restart): not again.
        case skip
    }
    let awaitingDelivery = Mutex<[MessageID: Delivery]>([:])
    /// Runs a batch's steps on the driver's loop. A batch crosses between the loop (the routing
    /// core), the log's writer thread and back; on the cooperative pool in between, each batch
    /// cost two more thread wake-ups (tens of microseconds of CPU each on this project's VMs),
    /// which under light load were most of a hop's latency and CPU besides the commit.
    let executor: EventLoopTaskExecutor
    /// Offers from peers taken in the current loop turn, handled together (see `accept`).
    let relayQueue = Mutex<[ForwardOffer]>([])

    init(driver: MeshDriver, store: any MessageStore, delivery: LocalDelivery, limits: IngestLimits,
         clock: @escaping @Sendable () -> Timestamp, logger: Logger, gate: ConstraintGate? = nil) {
        self.gate = gate
        self.driver = driver
        self.executor = EventLoopTaskExecutor(driver.loop)
        self.store = store
        self.delivery = delivery
        self.limits = limits
        self.clock = clock
        self.logger = logger
    }

    // MARK: Origin

    /// One ingest batch as offered to the routing core, handed back to `committed`.
    struct Origination: Sendable {
        var records: [LogRecord]
        /// Per record: the core took custody of it for this batch (not a duplicate of a message
        /// it already holds). Only these are abandoned if the append fails, and only their
        /// local delivery is this batch's to decide.
        var admitted: [Bool]
    }

    /// Offers the records of freshly ingested envelopes to the routing core (one hop onto the
    /// driver's loop) and returns them with the outbox targets each is to be held for. Throws
    /// 503 when the outbox is full.
    func originate(_ records: [LogRecord]) async throws(PlexusError) -> Origination {
        var records = records
        let admissions: [Admission]
        do {
            admissions = try await driver.originate(records.map {
                Originating(id: $0.envelope.messageID, payload: $0.json, destinations: $0.envelope.destinationSubjectIDs,
                            topic: $0.envelope.topic.value)
            })
        } catch {
            throw PlexusError(.unavailable, "the mesh is not running yet; nothing was acknowledged, retry later")
        }
        if admissions.last == .busy {
            // The driver has already abandoned what this batch had admitted.
            throw PlexusError(.unavailable, "the forwarding outbox is full (\(driver.outboxLimit) messages); retry later")
        }
        var admitted = [Bool](repeating: false, count: records.count)
        var deliveries: [(MessageID, Delivery)] = []
        for (i, admission) in admissions.enumerated() {
            guard case .accepted(_, let deliverHere, let targets) = admission else { continue }
            admitted[i] = true
            records[i].outbox = targets
            if deliverHere {
                deliveries.append((records[i].envelope.messageID, .deliver(records[i].envelope, json: records[i].json, streamed: true)))
            }
        }
        if !deliveries.isEmpty {
            awaitingDelivery.withLock { awaiting in for (id, d) in deliveries { awaiting[id] = d } }
            await holdInInboxes(&records, where: admissions.map { if case .accepted(_, true, _) = $0 { true } else { false } })
        }
        return Origination(records: records, admitted: admitted)
    }

    /// The origin's records were committed (with these outcomes) or the commit failed (nil):
    /// release them to the routing core in one hop, or make it forget them so a retry is taken
    /// afresh.
    func committed(_ origination: Origination, _ outcomes: [AppendOutcome]?) {
        let records = origination.records
        guard let outcomes else {
            let ids = zip(records, origination.admitted).filter(\.1).map(\.0.envelope.messageID)
            awaitingDelivery.withLock { awaiting in for id in ids { awaiting[id] = nil } }
            driver.abandon(ids)
            return
        }
        // A client's retry of a message logged before (the core forgot it in a restart): its
        // recipients had it already. Only for records this batch admitted: a second copy of an
        // id within the batch is a duplicate in the log too, and must not cancel the first.
        let repeats = records.indices.filter { origination.admitted[$0] && outcomes[$0] == .duplicate }
        if !repeats.isEmpty {
            awaitingDelivery.withLock { awaiting in
                for i in repeats where awaiting[records[i].envelope.messageID] != nil { awaiting[records[i].envelope.messageID] = .skip }
            }
        }
        // A record the log refused (dead-lettered by the store) is not forwarded: the core
        // forgets it as if its commit had failed.
        let refused = records.indices.filter { if case .refused = outcomes[$0] { true } else { false } }.map { records[$0].envelope.messageID }
        if !refused.isEmpty {
            awaitingDelivery.withLock { awaiting in for id in refused { awaiting[id] = nil } }
            driver.abandon(refused)
        }
        // By index: `filter` and `map` over the records copied each one (a retain and release of
        // every field of its envelope), 2.5 % of an origin's CPU while forwarding.
        let refusedSet = Set(refused)
        var durable: [(MessageID, [UInt8])] = []
        durable.reserveCapacity(records.count)
        for i in records.indices where refusedSet.isEmpty || !refusedSet.contains(records[i].envelope.messageID) {
            durable.append((records[i].envelope.messageID, records[i].json))
        }
        driver.persisted(durable)
    }

    /// Sets `inbox` of the records to deliver here: the recipients homed at this node, whose
    /// inbox rows are written with the log row (a restart before their ack loses nothing).
    func holdInInboxes(_ records: inout [LogRecord], where deliverHere: [Bool]) async {
        let indices = records.indices.filter { deliverHere[$0] }
        guard !indices.isEmpty else { return }
        let homed = await driver.homedHere(each: indices.map { records[$0].envelope.destinationSubjectIDs })
        for (i, subjects) in zip(indices, homed) { records[i].inbox = subjects }
    }

    // MARK: ForwardingSink

    func deliver(_ ids: [MessageID]) {
        let found = awaitingDelivery.withLock { awaiting in ids.map { awaiting.removeValue(forKey: $0) } }
        for (id, entry) in zip(ids, found) {
            switch entry {
            case .deliver(let envelope, let json, let streamed):
                delivery.deliver(envelope, json: json, stream: !streamed, homedHere: driver.homedHere(envelope.destinationSubjectIDs))
            case .skip:
                break
            case nil:
                deliverLate(id)
            }
        }
    }

    /// Resolved late (a subject whose home appeared after the message was sent): read it back.
    private func deliverLate(_ id: MessageID) {
        Task {
            guard let stored = try? await store.message(id: id),
                  let value = try? JSONParser.parse(stored.json), let draft = try? EnvelopeDecoder.decode(value, limits: limits)
            else { return }
            var rng = SystemRandomNumberGenerator()
            let envelope = draft.normalized(node: driver.nodeID.rawValue, now: clock(), rng: &rng, addHop: false)
            delivery.deliver(envelope, json: stored.json, stream: false, homedHere: envelope.destinationSubjectIDs)
        }
    }

    func released(_ ids: [MessageID]) {
        store.release(ids)
    }

    func deadLetter(_ id: MessageID, targets: [RouteTarget], reason: String, payload: [UInt8]?) {
        logger.warning("dead letter", metadata: ["plexus.message": "\(id)", "plexus.reason": "\(reason)",
                                                 "plexus.targets": "\(targets.map(\.description))"])
        store.deadLetter([DeadLetter(messageID: id, at: clock(), reason: reason, targets: targets, json: payload)])
    }
}
