import Collections

extension RoutingCore {
    /// A message entering the mesh here. Recipients are the homes of `destinations` plus every
    /// node with interest in `topic`; subjects with no known home yet stay targets by name and
    /// are resolved when their home is announced.
    public mutating func originate(_ id: MessageID, payload: [UInt8], destinations: [String], topic: String,
                                   now: MeshInstant) -> Admission {
        guard held[id] == nil, memory[id]?.here != true else {
            stats.duplicates += 1
            return .duplicate
        }
        guard held.count < settings.outboxLimit else {
            stats.busy += 1
            return .busy
        }
        var targets: OrderedSet<RouteTarget> = []
        var deliverHere = false
        for subject in destinations {
            if let home = home(of: subject) {
                if home == me { deliverHere = true } else { targets.append(.node(home)) }
            } else {
                targets.append(.subject(subject))
            }
        }
        for node in interested(in: topic) {
            if node == me { deliverHere = true } else { targets.append(.node(node)) }
        }
        stats.originated += 1
        rememberHere(id)
        hold(id, payload: payload, hopCount: 0, targets: Array(targets), now: now, deliverHere: deliverHere)
        return .accepted(role: .origin, deliverHere: deliverHere, targets: Array(targets))
    }

    /// A data frame from peer `from`.
    public mutating func receive(_ frame: DataFrame, from: NodeID, now: MeshInstant) -> (Admission, [ForwardDirective]) {
        let ack = DataAck(id: frame.id, transmission: frame.transmission)
        // Bounced: the peer this node is handing the message to hands it back (its route runs
        // through here while route tables disagree). Its ack for our transmission must not
        // release our copy, or both would let go: keep custody, void that transmission, and
        // route again avoiding the peer (split horizon). Also while another copy of it is
        // being appended here (not durable for that moment): its transmissions are in flight
        // all the same, and skipping this then let both nodes release it on each other's ack.
        //
        // Looped: a copy for a target this node is handing to another peer comes from a third
        // one (not the peer it came from, whose copy would be a retransmission). It went round
        // a loop of three or more nodes while route tables disagreed, and each node on the loop
        // is handing it to the next: acked as a duplicate on the strength of that transmission,
        // the next node's ack — itself a duplicate's, acked on the strength of its own
        // transmission — would release it, and so round the loop until no node held it (an
        // acknowledged message lost: simulations/routing-partition.yaml, seed 40). So that
        // transmission is voided as well and the target routed again: custody stays here, at
        // the cost of a second copy should the peer have taken it after all (receivers
        // de-duplicate).
        var bounced: [ForwardDirective] = []
        if var h = held[frame.id] {
            var voided: [UInt64: NodeID] = [:]
            for t in frame.targets where t != me {
                guard let tx = h.pending[.node(t)]?.transmission, let hop = flights[tx]?.hop else { continue }
                if hop == from || from != h.from { voided[tx] = hop }
            }
            let looped = Set(voided.values.filter { $0 != from })
            // Whatever becomes of our transmissions, `from` is about to be acked for a target
            // held here and lets go of it: an ack it sends late for a copy we handed it before
            // proves nothing now. Found under load in RoutingProcessTests: n2 gave up on a
            // transmission to a restarted n3 that was slow to ack and routed the message again,
            // but it waited in n4's window; n3 took it all the same and, its own route running
            // back through n2, handed it to n2, which acked that copy as a duplicate. n3 let
            // go, then n2 did on n3's late ack of the first copy, and no node held it.
            if frame.targets.contains(where: { h.pending[.node($0)] != nil }) {
                h.bouncedBy[from] = nextTransmission
                held[frame.id] = h
            }
            for tx in voided.keys.sorted() {
                flightsByHop[flights.removeValue(forKey: tx)!.hop]?.remove(tx)
            }
            // Every target of a voided transmission goes back to be routed, not only those the
            // bounced copy named: a target left pointing at a voided transmission would wait
            // for an ack that can no longer come.
            for t in Array(h.pending.keys) where h.pending[t]!.transmission.map({ voided[$0] != nil }) == true {
                h.pending[t]!.transmission = nil
            }
            if !voided.isEmpty {
                // Handed back: not straight back there. (A loop's copy leaves `from` as it was,
                // so the upstream's retransmissions still read as such.)
                if voided.values.contains(from) { h.from = from }
                // A late ack from them proves nothing now: they handed it back, or sit on the loop.
                for hop in voided.values { h.bouncedBy[hop] = nextTransmission }
                avoid(voided.values.contains(from) ? looped.union([from]) : looped, &h, now: now)
                held[frame.id] = h
                ready.append(frame.id)
                if voided.values.contains(from) { stats.bounced += 1 }
                if !looped.isEmpty { stats.looped += 1 }
                bounced = dispatch(now: now)
            }
        }
        // New to this node: itself, unless already delivered here; another target, unless it is
        // holding it for that target right now. A target it held once and handed on is taken
        // again: the copy is coming back because the node it went to is asking for help (it
        // restarted, or its next hop failed), and acking it as a duplicate would drop it.
        let delivered = memory[frame.id]?.here ?? false
        let holding = held[frame.id]?.pending
        var fresh = frame.targets.filter { $0 == me ? !delivered : holding?[.node($0)] == nil }.uniqued()
        if fresh.isEmpty {
            stats.duplicates += 1
            if let h = held[frame.id], !h.durable {
                held[frame.id]!.acksOwed.append((ack, from))
                return (.duplicate, bounced)
            }
            return (.duplicate, [.ack(ack, to: from)] + bounced)
        }
        var overLimit: [ForwardDirective] = []
        if Int(frame.hopCount) >= settings.hopLimit {
            stats.deadLettered += 1
            let reason = "over the hop limit of \(settings.hopLimit) nodes"
            guard fresh.contains(me) else { return (.refused(reason), [.ack(ack, to: from)] + bounced) }
            // It reached a recipient: delivered here all the same; only the onward targets stop.
            let onward = fresh.filter { $0 != me }
            if !onward.isEmpty { overLimit.append(.deadLetter(frame.id, targets: onward.map { .node($0) }, reason: reason)) }
            fresh = [me]
        }
        guard held.count < settings.outboxLimit || fresh == [me] else {
            stats.busy += 1
            return (.busy, bounced)
        }
        stats.accepted += 1
        let deliverHere = fresh.contains(me)
        if deliverHere { rememberHere(frame.id) }
        let onward = fresh.filter { $0 != me }.map { RouteTarget.node($0) }
        if var h = held[frame.id] {
            // Already holding it for other targets: add these. They are not durable until the
            // shell's append (its outbox row gains them) calls `persisted` again; until then
            // nothing new goes out, and `abandon` drops only them.
            for t in onward where h.pending[t] == nil {
                h.pending[t] = TargetState(notBefore: now)
                h.unpersisted.append(t)
            }
            h.acksOwed.append((ack, from))
            h.deliverHere = h.deliverHere || deliverHere
            h.durable = false
            held[frame.id] = h
        } else {
            hold(frame.id, payload: frame.payload, hopCount: frame.hopCount, targets: onward, now: now, deliverHere: deliverHere)
            held[frame.id]!.acksOwed.append((ack, from))
            held[frame.id]!.from = from
            // Back at a node it already left: a loop. Not handed again to the peers it went to
            // from here (for a while, or until its routes change).
            // Only a copy for a target it was handed on for: a fan-out message passes a node
            // once per branch of its tree, and avoiding where the other branch went sent this
            // one round the grid (simulations/routing-grid.yaml, seed 38: 30 s late).
            if let before = memory[frame.id]?.handedTo.peers(forAny: frame.targets), !before.isEmpty,
               var h = held.removeValue(forKey: frame.id) {
                avoid(before, &h, now: now)
                held[frame.id] = h
                stats.looped += 1
            }
        }
        return (.accepted(role: deliverHere ? .destination : .relay, deliverHere: deliverHere, targets: onward), bounced + overLimit)
    }

    /// The shell made `id` durable (logged, in the outbox): acknowledge upstream, deliver and
    /// forward. `payload` replaces the one held (the shell appended this node to `hops`).
    public mutating func persisted(_ id: MessageID, payload: [UInt8]? = nil, now: MeshInstant) -> [ForwardDirective] {
        // Changed in place, found once: a copy taken out and written back cost a second probe
        // of a table of tens of thousands, and left its targets shared (copied on next change).
        guard let i = held.index(forKey: id), !heldInPlace(i, { $0.durable }) else { return [] }
        var out: [ForwardDirective] = []
        let deliver = Self.markDurable(&held.values[i], payload: payload, acks: &out)
        if deliver {
            out.append(.deliver(id))
            stats.delivered += 1
        }
        if heldInPlace(i, { $0.pending.isEmpty }) {
            held.remove(at: i)
            stats.released += 1
            out.append(.released(id))
        } else {
            ready.append(id)
        }
        return out + dispatch(now: now)
    }

    /// `persisted`'s change to the held message: durable, its owed acks out. Returns whether
    /// it is to be delivered here (once).
    private static func markDurable(_ h: inout Held, payload: [UInt8]?, acks out: inout [ForwardDirective]) -> Bool {
        h.durable = true
        h.wasDurable = true
        h.unpersisted = []
        if let payload { h.payload = payload }
        for (ack, to) in h.acksOwed { out.append(.ack(ack, to: to)) }
        h.acksOwed = []
        defer { h.deliverHere = false }
        return h.deliverHere
    }

    /// The shell refused the payload (it is not a valid envelope): acknowledge it upstream so
    /// the sender stops, and never forward it. The shell records the dead letter.
    public mutating func discard(_ id: MessageID) -> [ForwardDirective] {
        guard let h = held.removeValue(forKey: id) else { return [] }
        ready.remove(id)
        stats.deadLettered += 1
        return h.acksOwed.map { .ack($0.0, to: $0.1) }
    }

    /// The shell could not make `id` durable: forget it, so the sender's retransmission (or
    /// the client's retry) is taken afresh.
    public mutating func abandon(_ id: MessageID) {
        guard var h = held[id] else { return }
        if h.wasDurable {
            // Only the targets of the failed append go; what was durable before stays held.
            for t in h.unpersisted { h.pending[t] = nil }
            h.unpersisted = []
            h.durable = true
            h.acksOwed = []
            held[id] = h
            ready.append(id)
            return
        }
        held[id] = nil
        memory[id] = nil
        ready.remove(id)
    }

    /// Held messages read back from the durable outbox after a restart.
    public mutating func restore(_ id: MessageID, payload: [UInt8], hopCount: UInt8, targets: [RouteTarget], now: MeshInstant) {
        guard held[id] == nil, !targets.isEmpty else { return }
        hold(id, payload: payload, hopCount: hopCount, targets: targets, now: now, deliverHere: false)
        held[id]!.durable = true
        held[id]!.wasDurable = true
        ready.append(id)
    }

    /// Acks from `from` for transmissions it made durable.
    public mutating func acked(_ acks: [DataAck], from: NodeID, now: MeshInstant) -> [ForwardDirective] {
        var out: [ForwardDirective] = []
        failedHops[from] = nil
        defer { silentSince[from] = flightsByHop[from]?.isEmpty == false ? now : nil }
        // What is kept per peer is read once for the frame and written back once: each was a
        // lookup keyed by the peer's name for every ack, and a frame carries hundreds.
        var hopFlights = flightsByHop.removeValue(forKey: from)
        var timer = ackTimers[from]
        var fresh = 0
        var latest = highestAcked[from] ?? 0
        for ack in acks {
            let flight: Flight
            var late = false
            if let i = flights.index(forKey: ack.transmission), flights.values[i].id == ack.id, flights.values[i].hop == from {
                flight = flights.remove(at: i).value
                hopFlights?.remove(ack.transmission)
            } else if let f = lateFlights[ack.transmission], f.id == ack.id, f.hop == from {
                // The ack of a transmission given up on: `from` has custody all the same —
                // unless it handed this copy back since (checked below).
                lateFlights[ack.transmission] = nil
                late = true
                flight = f
            } else {
                continue
            }
            stats.acksReceived += 1
            // A copy sent again may be a duplicate there, acked at once ahead of the frames
            // queued for its append: only first transmissions show the receiver's order.
            if !flight.retransmission { latest = max(latest, ack.transmission) }
            // Every transmission has its own id, so even a late ack is an unambiguous sample
            // (no Karn's rule needed): a receiver slower than the timeout raises the timeout.
            let ms = (now - flight.sentAt).secondsDouble * 1000
            if timer == nil { timer = AckTimer(smoothed: ms, variance: ms / 2) } else { timer!.sample(ms) }
            fresh += 1
            // In place: a copy taken out would share its targets and copy them on this change.
            guard let i = held.index(forKey: flight.id), heldInPlace(i, { $0.sequence == flight.copy && !(late && ack.transmission < $0.bouncedBy[from] ?? 0) })
            else { continue }
            if late { stats.lateAcks += 1 }
            for t in flight.targets { held.values[i].pending[.node(t)] = nil }
            if heldInPlace(i, { $0.pending.isEmpty && $0.durable }) {
                held.remove(at: i)
                ready.remove(flight.id)
                stats.released += 1
                out.append(.released(flight.id))
            }
        }
        if let hopFlights { flightsByHop[from] = hopFlights }
        if latest > 0 { highestAcked[from] = latest }
        if fresh > 0 {
            ackTimers[from] = timer
            ackBackoff[from] = nil
            widenWindow(from, acks: fresh)
        }
        // Room opened in `from`'s window: messages waiting for it go now.
        guard windowWaiting[from] != nil else { return out }
        fillWindow(of: from)
        return out + dispatch(now: now)
    }

    /// Reads a held message where it is: `held.values[i].durable` went through the getter,
    /// which copied the whole `Held` (a retain and release of its payload, targets and queues)
    /// on every persisted, acked and dispatched message — 2 % of an origin's CPU.
    mutating func heldInPlace<T>(_ i: [MessageID: Held].Index, _ read: (inout Held) -> T) -> T {
        read(&held.values[i])
    }

    /// Messages currently held, for `/v1/routes` and the simulator.
    public var heldCount: Int { held.count }

    /// Held messages with their remaining targets, oldest first.
    public var outbox: [(id: MessageID, targets: [RouteTarget])] {
        held.sorted { $0.value.sequence < $1.value.sequence }.map { ($0.key, Array($0.value.pending.keys)) }
    }

    mutating func hold(_ id: MessageID, payload: [UInt8], hopCount: UInt8, targets: [RouteTarget], now: MeshInstant, deliverHere: Bool) {
        var pending: OrderedDictionary<RouteTarget, TargetState> = [:]
        for t in targets { pending[t] = TargetState(notBefore: now) }
        heldSequence += 1
        held[id] = Held(payload: payload, hopCount: hopCount, pending: pending, expires: now + settings.expiry,
                        durable: false, deliverHere: deliverHere, sequence: heldSequence)
    }

    /// `id` was delivered or originated here.
    mutating func rememberHere(_ id: MessageID) {
        memory.update(id, default: Memory()) { $0.here = true }
    }

    /// `id` was handed to `hop` for `targets`.
    mutating func rememberHanded(_ id: MessageID, to hop: NodeID, for targets: [NodeID]) {
        memory.update(id, default: Memory()) { $0.handedTo.insert(hop, for: targets) }
    }

    /// `RoutingGraph.interested(in:)`, remembered per topic until the graph changes (at most
    /// 4,096 topics at a time).
    mutating func interested(in topic: String) -> [NodeID] {
        if interestVersion != graph.version || interestByTopic.count >= 4_096 {
            interestByTopic.removeAll(keepingCapacity: true)
            interestVersion = graph.version
        }
        if let nodes = interestByTopic[topic] { return nodes }
        let nodes = graph.interested(in: topic)
        interestByTopic[topic] = nodes
        return nodes
    }

    /// Where a subject lives: the first of its homes that is up, else the first known.
    func home(of subject: String) -> NodeID? {
        guard let homes = graph.homes[subject] else { return nil }
        return homes.first { graph.up.contains($0) } ?? homes.first
    }
}

extension Sequence where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
