extension MeshCore {
    /// One protocol period: settle the previous probe, then probe the next member in the
    /// shuffled round-robin order (SWIM's time-bounded completeness).
    mutating func probeTick(now: MeshInstant, rng: inout some RandomNumberGenerator) -> [MeshDirective] {
        var out = regularProbe.map { finishProbe(seq: $0, now: now) } ?? []
        regularProbe = nil
        for seq in neighborProbes { out += finishProbe(seq: seq, now: now) }
        neighborProbes = []
        probeToken += 1
        out.append(.schedule(.probe(token: probeToken), after: scaledByHealth(settings.probeInterval)))
        let target = nextProbeTarget(rng: &rng)
        if let target { out += startProbe(of: target, now: now, rng: &rng, kind: .regular) }
        for neighbor in watchedNeighbors() where neighbor != target && !probes.values.contains(where: { $0.target == neighbor }) {
            out += startProbe(of: neighbor, now: now, rng: &rng, kind: .neighbor)
        }
        return out
    }

    /// The forwarding neighbours probed every period (`MeshSettings.watchedNeighbors`): the
    /// exact ids of this node's `neighbors` that are active members, in the order configured.
    /// Patterns are left to the round robin: one can match the whole mesh.
    func watchedNeighbors() -> [NodeID] {
        guard settings.watchedNeighbors > 0, case .array(let list)? = ownRecord["neighbors"] else { return [] }
        var ids: [NodeID] = []
        for case .string(let id) in list where !id.contains("*") && ids.count < settings.watchedNeighbors {
            let node = NodeID(id)
            if node != me, active.contains(node) { ids.append(node) }
        }
        return ids
    }

    mutating func nextProbeTarget(rng: inout some RandomNumberGenerator) -> NodeID? {
        var checked = 0
        while checked <= probeOrder.count {
            if probeIndex >= probeOrder.count {
                probeOrder = active.ids.sorted()
                probeOrder.shuffleInPlace(using: &rng)
                probeIndex = 0
                if probeOrder.isEmpty { return nil }
            }
            let candidate = probeOrder[probeIndex]
            probeIndex += 1
            checked += 1
            if active.contains(candidate) { return candidate }
        }
        return nil
    }

    /// When a probe is settled.
    enum ProbeKind {
        /// The period's round-robin target: at the next tick.
        case regular
        /// A watched forwarding neighbour's: at the next tick, with the regular one.
        case neighbor
        /// Beside the period's probes (after a link reset): one period from now (`probeEnd`).
        case outOfBand
    }

    mutating func startProbe(of target: NodeID, now: MeshInstant, rng: inout some RandomNumberGenerator,
                             kind: ProbeKind) -> [MeshDirective] {
        nextSeq &+= 1
        let seq = nextSeq
        probes[seq] = ProbeState(seq: seq, target: target, sentAt: now, outOfBand: kind == .outOfBand)
        stats.probesSent += 1
        var gossip = broadcasts.take(budget: settings.maxPiggybackBytes, limit: retransmitLimit)
        if let m = members[target], m.status == .suspect {
            // Lifeguard's "buddy system": tell a suspect it is suspected so it can refute.
            gossip.append(.suspect(id: target, incarnation: m.incarnation, from: me))
        }
        var out: [MeshDirective] = [
            .send(.ping(seq: seq, gossip: gossip), to: peer(target)),
            .schedule(.probeTimeout(seq: seq), after: scaledByHealth(settings.probeTimeout)),
        ]
        switch kind {
        case .regular: regularProbe = seq
        case .neighbor: neighborProbes.append(seq)
        case .outOfBand: out.append(.schedule(.probeEnd(seq: seq), after: scaledByHealth(settings.probeInterval)))
        }
        return out
    }

    /// The direct ping got no ack in time: ask `indirectChecks` others to try (SWIM ping-req).
    mutating func probeTimedOut(seq: UInt32, now: MeshInstant, rng: inout some RandomNumberGenerator) -> [MeshDirective] {
        guard var p = probes[seq], !p.acked else { return [] }
        p.directTimedOut = true
        links[p.target, default: LinkStat(rttMilliseconds: 0, loss: 0)].record(rtt: nil)
        let helpers = active.sample(settings.indirectChecks, excluding: [p.target], using: &rng)
        p.expectedNacks = helpers.count
        probes[seq] = p
        stats.indirectProbes += helpers.count
        let address = members[p.target]?.address ?? p.target.rawValue
        return helpers.map { helper in
            .send(.pingReq(seq: seq, target: p.target, address: address, gossip: []), to: peer(helper))
        }
    }

    /// End of the protocol period: a probe without an ack makes its target suspect. Lifeguard
    /// adjusts local health: success lowers it, missing nacks (our own slowness) raise it.
    mutating func finishProbe(seq: UInt32, now: MeshInstant) -> [MeshDirective] {
        guard let p = probes.removeValue(forKey: seq) else { return [] }
        if p.acked { return [] }
        stats.probesFailed += 1
        if p.expectedNacks > 0 {
            adjustAwareness(p.expectedNacks - p.nacks)
        } else {
            adjustAwareness(+1)
        }
        guard let m = members[p.target], m.isActive else { return [] }
        return onSuspect(p.target, incarnation: m.incarnation, from: me, now: now, rebroadcast: true)
    }

    mutating func handleAck(seq: UInt32, from: NodeID, now: MeshInstant) -> [MeshDirective] {
        if let relay = relays.removeValue(forKey: seq) {
            // Our relayed ping was answered: pass the ack to whoever asked.
            return [.send(.ack(seq: relay.originSeq, gossip: []), to: peer(relay.origin))]
        }
        guard var p = probes[seq], !p.acked else { return [] }
        p.acked = true
        probes[seq] = p
        if from == p.target, !p.directTimedOut {
            let rtt = Double((now - p.sentAt).nanoseconds) / 1e6
            links[p.target, default: LinkStat(rttMilliseconds: rtt, loss: 0)].record(rtt: rtt)
            adjustAwareness(-1)
        }
        return []
    }

    /// Ping `target` for `origin`; answer with its ack or, after 80% of the probe timeout, a nack
    /// (Lifeguard), so the origin learns we are alive even if the target is not.
    mutating func relayPing(for origin: NodeID, originSeq: UInt32, target: NodeID, address: String, now: MeshInstant) -> [MeshDirective] {
        nextSeq &+= 1
        relays[nextSeq] = Relay(origin: origin, originSeq: originSeq)
        return [
            .send(.ping(seq: nextSeq, gossip: []), to: Peer(id: target, address: members[target]?.address ?? address)),
            .schedule(.relayTimeout(seq: nextSeq), after: scaledByHealth(settings.probeTimeout).scaled(by: 0.8)),
        ]
    }
}
