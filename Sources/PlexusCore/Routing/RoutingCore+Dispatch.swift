import Collections

extension RoutingCore {
    /// The retry timer fired: missed acks move their messages to another hop, parked messages
    /// look for a route again.
    public mutating func timerFired(_ timer: RoutingTimer, now: MeshInstant) -> [ForwardDirective] {
        guard case .retry(let token) = timer, token == retryToken else { return [] }
        retryAt = nil
        var silent: [ForwardDirective] = []
        while let d = deadlines.min, d.at <= now {
            _ = deadlines.popMin()
            guard let flight = flights[d.sequence] else { continue }
            let hop = flight.hop
            // A hop silent for longer than `failAfter` is failed over: all it has goes to the
            // alternative.
            if let since = silentSince[hop], now - since >= failAfter(hop) {
                stats.timeouts += 1
                giveUp(d.sequence, flight, now: now)
                failHop(hop, now: now)
                silent.append(.checkPeer(hop))
                continue
            }
            // A hop that still acks is slow or dropped this one. It takes and acks a link's
            // frames in the order they were sent, so an ack of a later transmission means this
            // one was lost (its receiver was busy, or failed to append it): send it again, as
            // TCP's fast retransmit would. Otherwise it is queued there behind the hop's oldest
            // transmission: only that one is sent again (a probe, with the timeout backed off),
            // at most one per timeout, and the rest wait one more timeout. Sending every one
            // whose deadline passed had a receiver that fell behind for a moment — a checkpoint,
            // its CPU taken by its neighbours — take a whole window twice, which put it further
            // behind (docs/benchmarks.md, 2026-12-02).
            narrowWindow(hop, now: now)
            let lost = (highestAcked[hop] ?? 0) > d.sequence
            let probing = probedAt[hop].map { now - $0 < ackTimeout(hop) } ?? false
            guard lost || (!probing && flightsByHop[hop]?.first == d.sequence) else {
                stats.ackWaitsExtended += 1
                deadlines.insert(Deadline(at: now + ackTimeout(hop), sequence: d.sequence, id: d.id))
                continue
            }
            stats.timeouts += 1
            if lost {
                stats.lostTransmissions += 1
            } else {
                probedAt[hop] = now
                ackBackoff[hop] = min((ackBackoff[hop] ?? 1) * 2, 64)
            }
            giveUp(d.sequence, flight, now: now)
        }
        while let p = parked.min, p.at <= now {
            _ = parked.popMin()
            if held[p.id] != nil { ready.append(p.id) }
        }
        // Still waiting for a home at its expiry: `dispatch` dead-letters it.
        while let e = homelessExpiry.min, e.at <= now {
            _ = homelessExpiry.popMin()
            if held[e.id] != nil { ready.append(e.id) }
        }
        // A hop whose flights timed out gets no acks for them, so its window does not reopen by
        // acks: what waits for it goes on into the room the timeouts made. Only that much: all
        // of it went back to be routed once, and with tens of thousands waiting behind a slow
        // hop every tick re-queued them all, one by one, behind the window again. A hop that
        // stays silent is failed (`failHop`), and then all of it goes to the alternative.
        for hop in windowWaiting.keys.sorted() { fillWindow(of: hop) }
        return silent + dispatch(now: now)
    }

    /// Transmission `tx` is given up on (its ack may still come late): its targets go back to
    /// be routed at once.
    mutating func giveUp(_ tx: UInt64, _ flight: Flight, now: MeshInstant) {
        flights[tx] = nil
        flightsByHop[flight.hop]?.remove(tx)
        lateFlights[tx] = flight
        requeue(flight, transmission: tx, now: now, immediately: true)
    }

    /// Messages waiting for `hop`'s window go on, oldest first, as far as it has room. (Taken
    /// out while they are popped: the first pop of a queue still in the table copied it.)
    mutating func fillWindow(of hop: NodeID) {
        guard var waiting = windowWaiting.removeValue(forKey: hop) else { return }
        var room = window(hop) - (flightsByHop[hop]?.count ?? 0)
        while room > 0, let id = waiting.popFirst() {
            ready.append(id)
            room -= 1
        }
        if !waiting.isEmpty { windowWaiting[hop] = waiting }
    }

    /// Everything in flight on `hop` is given up on there and goes back to be routed afresh.
    mutating func failHop(_ hop: NodeID, now: MeshInstant) {
        failedHops[hop] = now + settings.failedHopHold
        silentSince[hop] = nil
        ackBackoff[hop] = nil
        releaseWindow(of: hop)
        guard let transmissions = flightsByHop.removeValue(forKey: hop) else { return }
        stats.failovers += 1
        stats.failedOverInFlight += transmissions.count
        for tx in transmissions {
            guard let flight = flights.removeValue(forKey: tx) else { continue }
            lateFlights[tx] = flight
            requeue(flight, transmission: tx, now: now, immediately: true)
        }
    }

    /// Messages waiting for `hop`'s window go back to be routed (to the alternative).
    mutating func releaseWindow(of hop: NodeID) {
        guard let waiting = windowWaiting.removeValue(forKey: hop) else { return }
        for id in waiting { ready.append(id) }
    }

    mutating func requeue(_ flight: Flight, transmission: UInt64, now: MeshInstant, immediately: Bool = false) {
        guard var h = held[flight.id] else { return }
        for t in flight.targets {
            guard var state = h.pending[.node(t)], state.transmission == transmission else { continue }
            state.transmission = nil
            state.attempts += 1
            // The first retry goes out at once (to the alternative); later ones back off, unless
            // the ack timeout (already backed off) did the waiting.
            state.notBefore = immediately || state.attempts <= 1 ? now : now + backoff(state.attempts)
            h.pending[.node(t)] = state
        }
        held[flight.id] = h
        ready.append(flight.id)
    }

    func backoff(_ attempts: Int) -> Duration {
        let ms = min(settings.maxRetryInterval.secondsDouble * 1000, 100 * Double(1 << min(attempts - 1, 16)))
        return .nanoseconds(Int64(ms * 1e6))
    }

    func isFailed(_ hop: NodeID, now: MeshInstant) -> Bool {
        failedHops[hop].map { now < $0 } ?? false
    }

    /// The neighbour to hand a message for `destination` to: the route's next hop unless it
    /// recently missed an ack, then the alternative.
    /// Split horizon: not straight back to the peer it came from (`from`) while the
    /// alternative is usable.
    /// Peers in `avoid` are not used at all: with neither way open the message waits (parked)
    /// until its routes move or the avoidance lapses. The destination itself is the exception
    /// when it is the next hop and has not failed.
    func nextHop(_ destination: NodeID, _ table: RouteTable, from: NodeID?, avoid: Set<NodeID>, now: MeshInstant) -> NodeID? {
        guard let route = table[destination] else { return nil }
        // Handing it to the destination itself cannot loop: avoiding it (it was tried before
        // it went down, say) only kept a message from a neighbour that is back.
        if route.nextHop == destination, !isFailed(destination, now: now) { return destination }
        if !avoid.isEmpty {
            let options = [route.nextHop, route.alternative].compactMap { $0 }.filter { !avoid.contains($0) }
            // Split horizon still holds: not straight back to the sender while another way is open.
            let usable = options.filter { !isFailed($0, now: now) }
            return usable.first { $0 != from } ?? usable.first ?? options.first
        }
        let usableAlternative = route.alternative.flatMap { isFailed($0, now: now) ? nil : $0 }
        if !isFailed(route.nextHop, now: now), route.nextHop != from || usableAlternative == nil { return route.nextHop }
        return usableAlternative ?? route.nextHop
    }

    /// Sends what is ready: per message, its targets grouped by next hop, one frame per hop.
    /// (Shells call it after `restore`.)
    public mutating func dispatch(now: MeshInstant) -> [ForwardDirective] {
        guard !ready.isEmpty else { return armRetry(now: now) }
        var out: [ForwardDirective] = []
        let table = routes()
        var budget = settings.maxSendsPerTick
        while budget > 0, let id = ready.popFirst() {
            // Taken out of the table while its targets change, and put back (unless released)
            // at the end: a copy left in the table made the first change copy its targets.
            guard let index = held.index(forKey: id), heldInPlace(index, { $0.durable }) else { continue }
            var h = held.remove(at: index).value
            if !h.avoid.isEmpty, now >= h.avoidUntil { h.avoid = [] }
            if now >= h.expires {
                let targets = Array(h.pending.keys)
                forgetWaitingForHome(id, targets: targets)
                stats.deadLettered += 1
                out.append(.deadLetter(id, targets: targets, reason: "not handed on within \(settings.expiry)"))
                continue
            }
            var groups: OrderedDictionary<NodeID, [NodeID]> = [:]
            var wake: MeshInstant?
            for target in Array(h.pending.keys) {
                guard let state = h.pending[target], state.transmission == nil else { continue }
                if state.notBefore > now {
                    wake = min(wake ?? state.notBefore, state.notBefore)
                    continue
                }
                var destination: NodeID
                switch target {
                case .node(let node):
                    destination = node
                case .subject(let subject):
                    guard let home = home(of: subject) else {
                        waitForHome(id, subject: subject, &h)
                        continue
                    }
                    h.pending[target] = nil
                    if home == me {
                        out.append(.deliver(id))
                        stats.delivered += 1
                        continue
                    }
                    guard h.pending[.node(home)] == nil else { continue }
                    h.pending[.node(home)] = TargetState(notBefore: now)
                    destination = home
                }
                guard let hop = nextHop(destination, table, from: h.from, avoid: h.avoid, now: now) else {
                    // No path (partitioned, or the destination is down): wait for the graph to
                    // change, or look again after a backoff.
                    h.pending[.node(destination)]!.attempts += 1
                    var at = now + backoff(h.pending[.node(destination)]!.attempts)
                    // Held only by the peers it avoids (a route exists): look again when that
                    // lapses, not up to a whole backoff later.
                    if !h.avoid.isEmpty, table[destination] != nil { at = min(at, h.avoidUntil) }
                    wake = min(wake ?? at, at)
                    continue
                }
                if (flightsByHop[hop]?.count ?? 0) >= window(hop) {
                    windowWaiting[hop, default: []].append(id)
                    continue
                }
                groups[hop, default: []].append(destination)
            }
            for (hop, targets) in groups {
                let tx = nextTransmission
                nextTransmission += 1
                var retransmission = false
                for t in targets {
                    retransmission = retransmission || h.pending[.node(t)]!.attempts > 0
                    h.pending[.node(t)]!.transmission = tx
                }
                flights[tx] = Flight(id: id, hop: hop, targets: targets, sentAt: now, retransmission: retransmission, copy: h.sequence)
                rememberHanded(id, to: hop, for: targets)
                flightsByHop[hop, default: []].append(tx)
                if silentSince[hop] == nil { silentSince[hop] = now }
                deadlines.insert(Deadline(at: now + ackTimeout(hop), sequence: tx, id: id))
                stats.transmissions += 1
                if retransmission { stats.retransmissions += 1 }
                budget -= 1
                out.append(.send(DataFrame(id: id, transmission: tx, hopCount: h.hopCount &+ 1, targets: targets, payload: h.payload), to: hop))
            }
            if let wake {
                parked.insert(Deadline(at: wake, sequence: nextTransmission, id: id))
                nextTransmission += 1
            }
            if h.pending.isEmpty {
                stats.released += 1
                out.append(.released(id))
            } else {
                held[id] = h
            }
        }
        return out + armRetry(now: now)
    }

    /// `id` waits until a node announces `subject` (or it expires).
    mutating func waitForHome(_ id: MessageID, subject: String, _ h: inout Held) {
        waitingForHome[subject, default: []].append(id)
        guard !h.expiryWatched else { return }
        h.expiryWatched = true
        // An entry stays until its expiry even when the message went on a moment later; past
        // twice what could still need one, keep only those of messages still held.
        if homelessExpiry.count > 2 * max(held.count, 1_000) {
            homelessExpiry = Heap(homelessExpiry.unordered.filter { held[$0.id]?.expiryWatched == true })
        }
        homelessExpiry.insert(Deadline(at: h.expires, sequence: nextTransmission, id: id))
        nextTransmission += 1
    }

    /// `id` is no longer held: it waits for no subject's home.
    mutating func forgetWaitingForHome(_ id: MessageID, targets: [RouteTarget]) {
        for case .subject(let subject) in targets {
            waitingForHome[subject]?.remove(id)
            if waitingForHome[subject]?.isEmpty == true { waitingForHome[subject] = nil }
        }
    }

    /// Arms the retry timer for the earliest deadline, parked message or leftover ready work.
    mutating func armRetry(now: MeshInstant) -> [ForwardDirective] {
        var earliest = [deadlines.min?.at, parked.min?.at, homelessExpiry.min?.at].compactMap { $0 }.min()
        if !ready.isEmpty { earliest = now }
        guard let at = earliest, retryAt.map({ at < $0 }) ?? true else { return [] }
        retryToken += 1
        retryAt = at
        return [.schedule(.retry(token: retryToken), after: max(.zero, at - now))]
    }
}
