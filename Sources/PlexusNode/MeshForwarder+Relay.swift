import Logging
import PlexusCore
import PlexusPeer
import PlexusStore

/// Messages handed on by peers: validated, logged and released to the routing core in batches.
extension MeshForwarder {
    /// Called on the driver's loop for each data frame the core took custody of. One read of a
    /// link carries many frames, so offers are collected until the loop has finished the turn
    /// (the same pattern as its acks) and then handled as one batch: one task on the loop, one
    /// append (one share of a group commit), one return from the log's writer thread, instead
    /// of each per message.
    func accept(_ offer: ForwardOffer) {
        let first = relayQueue.withLock { queue in
            queue.append(offer)
            return queue.count == 1
        }
        if first { driver.loop.execute { [self] in takeQueued() } }
    }

    private func takeQueued() {
        let offers = relayQueue.withLock { queue in
            var taken: [ForwardOffer] = []
            swap(&taken, &queue)
            return taken
        }
        guard !offers.isEmpty else { return }
        // On the loop: the core, the log's answer and the onward sends all meet there, and a
        // batch parked on the cooperative pool in between cost two thread wake-ups.
        Task(executorPreference: executor) { [self] in await take(offers) }
    }

    /// Validates the batch, dead-letters what is not an envelope, logs the rest in one append
    /// and only then lets the core acknowledge and forward them. A failed append abandons the
    /// whole batch: the senders retransmit.
    func take(_ offers: [ForwardOffer]) async {
        let now = clock()
        var rng = SystemRandomNumberGenerator()
        var records: [LogRecord] = []
        records.reserveCapacity(offers.count)
        var deliverHere: [Bool] = []
        deliverHere.reserveCapacity(offers.count)
        var refused: [DeadLetter] = []
        for offer in offers {
            do throws(PlexusError) {
                let relayed = try RelayedEnvelope(offer.payload, id: offer.id, node: driver.nodeID.rawValue, now: now, limits: limits, rng: &rng)
                try admitted(relayed.envelope)
                records.append(LogRecord(envelope: relayed.envelope, json: relayed.json, role: offer.role, outbox: offer.targets,
                                         hopCount: offer.hopCount))
                deliverHere.append(offer.deliverHere)
            } catch {
                logger.warning("refusing a forwarded message (invalid, or denied by this organisation's rules)",
                               metadata: ["plexus.peer": "\(offer.from)", "plexus.message": "\(offer.id)", "plexus.error": "\(error.message)"])
                refused.append(DeadLetter(messageID: offer.id, at: now, reason: "from \(offer.from): \(error.message)",
                                          targets: offer.targets, json: offer.payload))
            }
        }
        if !refused.isEmpty {
            store.deadLetter(refused)
            driver.discard(refused.map(\.messageID))
        }
        guard !records.isEmpty else { return }
        if deliverHere.contains(true) { await holdInInboxes(&records, where: deliverHere) }
        var outcomes: [AppendOutcome]
        do {
            outcomes = try await store.append(records)
        } catch {
            logger.warning("could not log forwarded messages; the senders will retry",
                           metadata: ["plexus.messages": "\(records.count)", "plexus.message": "\(records[0].envelope.messageID)",
                                      "plexus.error": "\(error)"])
            driver.abandon(records.map(\.envelope.messageID))
            return
        }
        // Refused by the log (dead-lettered there with the reason): dropped like a message that
        // failed validation, so the sender's retries do not loop.
        let refusedIDs = records.indices.filter { if case .refused = outcomes[$0] { true } else { false } }.map { records[$0].envelope.messageID }
        if !refusedIDs.isEmpty {
            driver.discard(refusedIDs)
            let dropped = Set(refusedIDs)
            let kept = records.indices.filter { !dropped.contains(records[$0].envelope.messageID) }
            records = kept.map { records[$0] }
            outcomes = kept.map { outcomes[$0] }
            deliverHere = kept.map { deliverHere[$0] }
            guard !records.isEmpty else { return }
        }
        // Set before `persisted`: the core's `deliver` comes in the loop turn that carries it out.
        if deliverHere.contains(true) {
            awaitingDelivery.withLock { awaiting in
                for (i, record) in records.enumerated() where deliverHere[i] {
                    awaiting[record.envelope.messageID] = outcomes[i] == .duplicate
                        ? .skip : .deliver(record.envelope, json: record.json, streamed: false)
                }
            }
        }
        driver.persisted(records.map { ($0.envelope.messageID, $0.json) })
    }

    /// The constraint checker on a message relayed from another organisation: this
    /// organisation's rules apply to what enters it, and a denial dead-letters the message here
    /// (the sender is told to drop it, as for an invalid envelope). Messages of the own
    /// organisation were checked where they entered, under the same mesh-wide rules, and were
    /// acknowledged there: refusing them here would lose an acknowledged message. Rate limits are
    /// counted where a message enters.
    private func admitted(_ envelope: Envelope) throws(PlexusError) {
        guard let gate, let origin = envelope.hops.first.map({ NodeID.organisation(of: $0.node) }),
              origin != gate.organisation else { return }
        let constraints = gate.config.constraints
        guard !constraints.isEmpty else { return }
        let context = ConstraintContext(organisation: origin, ingress: "peer", node: gate.node)
        if case .denied(let denied, let error) = constraints.evaluate(envelope, context: context) {
            gate.notify([(ConstraintGate.event(for: denied), denied)])
            throw PlexusError(error.code, "denied at \(gate.node) for organisation \(gate.organisation): \(error.message)")
        }
    }
}
