import PlexusCore

/// The simulator's half of the routing contract, as the real node carries it out: feed the
/// routing core what changed in the mesh, log accepted messages durably (after a simulated fsync)
/// before calling `persisted`, move data frames and acks over the simulated network between
/// neighbours, deliver, release, dead-letter, and arm the retry timer.
extension Simulation {
    /// Registry or membership news reached node `i`'s mesh core: its routing core re-reads it.
    mutating func meshChanged(_ i: Int, owners: [NodeID], members: [NodeID]) {
        guard nodes[i].routing != nil, let core = nodes[i].core else { return }
        let out = nodes[i].routing!.meshChanged(core, owners: owners, members: members, now: nodes[i].localNow(now))
        carryOut(out, for: i)
    }

    /// A data-plane event for a running, unpaused node with a routing core.
    mutating func processRouting(_ event: SimEvent) {
        switch event {
        case .data(let to, let from, _, let frame):
            trace.combine(UInt64(bitPattern: now)); trace.combine(UInt64(to) << 32 | UInt64(from))
            if tracksContacts { contacts[pairKey(to, from)] = now }
            let (admission, out) = nodes[to].routing!.receive(frame, from: nodes[from].id, now: nodes[to].localNow(now))
            if routingMetrics.tracing == RoutingMetrics.index(of: frame.id) {
                traceStep(to, "receives tx \(frame.transmission) (hop \(frame.hopCount)) from \(nodes[from].id) "
                    + "for \(frame.targets.map(\.rawValue)): \(Self.describe(admission))")
            }
            switch admission {
            case .accepted(let role, _, let targets):
                write(frame.id, at: to, role: role, payload: frame.payload, hopCount: frame.hopCount, targets: targets)
            case .refused(let reason):
                routingMetrics.refusedFrames += 1
                routingMetrics.deadLetter(RoutingMetrics.index(of: frame.id), at: to, reason: reason)
            case .duplicate, .busy:
                break
            }
            carryOut(out, for: to, hops: Int(frame.hopCount))
        case .acks(let to, let from, _, let acks):
            trace.combine(UInt64(bitPattern: now)); trace.combine(UInt64(to) << 32 | UInt64(from))
            for ack in acks {
                routingMetrics.outstanding[from]?[RoutingMetrics.Outstanding(sender: to, transmission: ack.transmission)] = nil
            }
            let out = nodes[to].routing!.acked(acks, from: nodes[from].id, now: nodes[to].localNow(now))
            for ack in acks where routingMetrics.tracing == RoutingMetrics.index(of: ack.id) {
                traceStep(to, "gets the ack of tx \(ack.transmission) from \(nodes[from].id)")
            }
            carryOut(out, for: to)
        case .fsync(let node, _, let id):
            guard let w = nodes[node].writes.removeValue(forKey: id) else { return }
            trace.combine(UInt64(bitPattern: now)); trace.combine(UInt64(node))
            nodes[node].durable.log(id, role: w.role, payload: w.payload, hopCount: w.hopCount, targets: w.targets)
            if w.role == .origin {
                let m = RoutingMetrics.index(of: id)
                if m < routingMetrics.messages.count { routingMetrics.messages[m].acked = now }
            }
            let out = nodes[node].routing!.persisted(id, now: nodes[node].localNow(now))
            if routingMetrics.tracing == RoutingMetrics.index(of: id) { traceStep(node, "logged as \(w.role.rawValue)") }
            // Accepted again for more targets while already durable here: the acknowledgement
            // owed upstream and the new targets must still come out of `persisted`.
            if !nodes[node].persisted.insert(id).inserted, out.isEmpty { routingMetrics.repersistedSilent += 1 }
            carryOut(out, for: node, hops: Int(w.hopCount))
        case .routingTimer(let node, _, let timer):
            trace.combine(UInt64(bitPattern: now)); trace.combine(UInt64(node))
            let out = nodes[node].routing!.timerFired(timer, now: nodes[node].localNow(now))
            carryOut(out, for: node)
        default:
            break
        }
    }

    /// An accepted message goes to the log: durable after the fsync delay, when `persisted` is
    /// called. A second acceptance before then joins the same write.
    mutating func write(_ id: MessageID, at i: Int, role: LogRole, payload: [UInt8], hopCount: UInt8, targets: [RouteTarget]) {
        if var w = nodes[i].writes[id] {
            for t in targets where !w.targets.contains(t) { w.targets.append(t) }
            if w.role == .relay && role == .destination { w.role = .destination }
            nodes[i].writes[id] = w
            return
        }
        nodes[i].writes[id] = PendingWrite(role: role, payload: payload, hopCount: hopCount, targets: targets)
        let delay = plan?.routing.fsyncDelay ?? .zero
        queue.push(.fsync(node: i, life: nodes[i].life, id: id), at: now + nodes[i].trueDelay(delay))
    }

    /// Does what the routing core asked. `hops`: the hop count of the message being handled, for
    /// a delivery it triggers. Acks to one peer leave as one frame.
    mutating func carryOut(_ directives: [ForwardDirective], for i: Int, hops: Int = 0) {
        var ackBatches: [(to: Int, acks: [DataAck])] = []
        for directive in directives {
            if let m = routingMetrics.tracing { traceDirective(directive, of: m, at: i) }
            switch directive {
            case .send(let frame, let peer):
                guard let j = idIndex[peer], j != i else { continue }
                sendData(frame, from: i, to: j)
            case .ack(let ack, let peer):
                guard let j = idIndex[peer], j != i else { continue }
                if let k = ackBatches.firstIndex(where: { $0.to == j }) {
                    ackBatches[k].acks.append(ack)
                } else {
                    ackBatches.append((j, [ack]))
                }
            case .deliver(let id):
                deliver(id, at: i, hops: hops)
            case .released(let id):
                nodes[i].durable.release(id)
            case .deadLetter(let id, _, let reason):
                routingMetrics.deadLetter(RoutingMetrics.index(of: id), at: i, reason: reason)
                nodes[i].durable.release(id)
            case .schedule(let timer, let after):
                queue.push(.routingTimer(node: i, life: nodes[i].life, timer), at: now + nodes[i].trueDelay(after))
            case .checkPeer(let peer):
                let out = nodes[i].core!.probeNow(peer, now: nodes[i].localNow(now), rng: &rngs[i])
                carryOut(out, for: i)
            }
        }
        for batch in ackBatches { sendAcks(batch.acks, from: i, to: batch.to) }
    }

    mutating func sendData(_ frame: DataFrame, from i: Int, to j: Int) {
        if let plan, !plan.neighbors.allowed(i, j) { routingMetrics.neighborViolations += 1 }
        let size = PeerFrame.data(frame).encoded().count + MeshCodec.tlsRecordOverhead
        metrics.sent(size, category: .data, at: now)
        trace.combine(UInt64(size))
        routingMetrics.dataFrames += 1
        let m = RoutingMetrics.index(of: frame.id)
        if m < routingMetrics.messages.count {
            routingMetrics.messages[m].frames += 1
            if routingMetrics.messages[m].directed { routingMetrics.directedFrames += 1 }
        }
        routingMetrics.outstanding[j, default: [:]][RoutingMetrics.Outstanding(sender: i, transmission: frame.transmission)] = (m, now)
        if tracksContacts { contacts[pairKey(i, j)] = now }
        guard let delay = network.transit(i, j, rng: &rng) else { return }
        queue.push(.data(to: j, from: i, life: nodes[j].life, frame: frame), at: now + delay)
    }

    mutating func sendAcks(_ acks: [DataAck], from i: Int, to j: Int) {
        let size = PeerFrame.acks(acks).encoded().count + MeshCodec.tlsRecordOverhead
        metrics.sent(size, category: .data, at: now)
        trace.combine(UInt64(size))
        routingMetrics.ackFrames += 1
        if tracksContacts { contacts[pairKey(i, j)] = now }
        guard let delay = network.transit(i, j, rng: &rng) else { return }
        queue.push(.acks(to: j, from: i, life: nodes[j].life, acks: acks), at: now + delay)
    }

    /// Hands `id` to the recipients homed at node `i`, unless the log says it was delivered here
    /// before (in an earlier life of the process).
    mutating func deliver(_ id: MessageID, at i: Int, hops: Int) {
        let m = RoutingMetrics.index(of: id)
        guard m < routingMetrics.messages.count else { return }
        guard nodes[i].durable.deliver(id) else {
            routingMetrics.suppressedRedeliveries += 1
            return
        }
        trace.combine(UInt64(bitPattern: now)); trace.combine(UInt64(i) << 32 | UInt64(m))
        routingMetrics.delivered(m, at: i, hops: hops, now: now)
    }

    // MARK: - Tracing one message

    static func describe(_ admission: Admission) -> String {
        switch admission {
        case .accepted(let role, let here, let targets):
            "accepted as \(role.rawValue)" + (targets.isEmpty ? "" : " for \(targets.map(\.description))") + (here ? ", delivers here" : "")
        case .duplicate: "duplicate"
        case .busy: "busy"
        case .refused(let reason): "refused: \(reason)"
        }
    }

    mutating func traceStep(_ node: Int, _ event: String) {
        routingMetrics.traceLines.append("\(SimReport.seconds(now)) \(nodes[node].id) \(event)")
    }

    mutating func traceDirective(_ directive: ForwardDirective, of m: Int, at i: Int) {
        switch directive {
        case .send(let frame, let peer) where RoutingMetrics.index(of: frame.id) == m:
            traceStep(i, "sends tx \(frame.transmission) to \(peer) for \(frame.targets.map(\.rawValue))")
        case .ack(let ack, let peer) where RoutingMetrics.index(of: ack.id) == m:
            traceStep(i, "acks tx \(ack.transmission) to \(peer)")
        case .deliver(let id) where RoutingMetrics.index(of: id) == m:
            traceStep(i, "delivers")
        case .released(let id) where RoutingMetrics.index(of: id) == m:
            traceStep(i, "releases it")
        case .deadLetter(let id, let targets, let reason) where RoutingMetrics.index(of: id) == m:
            traceStep(i, "dead-letters it for \(targets.map(\.description)): \(reason)")
        default:
            break
        }
    }

    // MARK: - Process life

    /// A (re)started node's routing core: announce its subjects and interest, read the outbox
    /// back from its durable log, and read the whole mesh core once.
    mutating func startRouting(_ i: Int, meshOut out: inout [MeshDirective]) -> [ForwardDirective] {
        guard let plan, nodes[i].routing != nil else { return [] }
        let local = nodes[i].localNow(now)
        for subject in plan.subjectsAt[i] {
            let value: JSONValue = ["id": .string(subject), "kind": "agent", "card": [:]]
            out += nodes[i].core!.publish(kind: .subject, id: subject, value: value, now: local)
        }
        if !plan.interestAt[i].isEmpty {
            out += nodes[i].core!.setInterest(plan.interestAt[i], now: local)
        }
        for (id, entry) in nodes[i].durable.outboxInOrder {
            nodes[i].routing!.restore(id, payload: entry.payload, hopCount: entry.hopCount, targets: entry.targets, now: local)
        }
        let forward = nodes[i].routing!.syncAll(nodes[i].core!, now: local)
        return forward + nodes[i].routing!.dispatch(now: local)
    }

    /// Node `x` is about to lose its process: what was in flight towards it fails over, what it
    /// held in custody waits for its restart.
    mutating func routingCrashed(_ x: Int) {
        guard let plan, let routing = nodes[x].routing else { return }
        routingMetrics.stranded += max(0, routing.heldCount - nodes[x].writes.count)
        if let m = routingMetrics.tracing, routing.outbox.contains(where: { RoutingMetrics.index(of: $0.id) == m }) {
            traceStep(x, "crashes holding it")
        }
        accumulate(routing.stats)
        let horizon = now - plan.routing.settings.maxAckTimeout.nanoseconds
        for (_, flight) in (routingMetrics.outstanding[x] ?? [:]) where flight.sentAt >= horizon {
            let m = flight.message
            guard m < routingMetrics.messages.count, !routingMetrics.messages[m].fullyDelivered,
                  !routingMetrics.messages[m].recipients.contains(where: { $0.node == x }) else { continue }
            routingMetrics.messages[m].failover = true
            routingMetrics.messages[m].failoverAround.append(x)
        }
        routingMetrics.outstanding[x] = nil
        routingMetrics.failoverWindows.append((x, now + RoutingMetrics.failoverWindow))
        nodes[x].routing = nil
        nodes[x].writes = [:]
        nodes[x].persisted = []
    }

    mutating func accumulate(_ stats: ForwardingStats) {
        routingMetrics.retransmissions += stats.retransmissions
        routingMetrics.timeouts += stats.timeouts
    }
}
