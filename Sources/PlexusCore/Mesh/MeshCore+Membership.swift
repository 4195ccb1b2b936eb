extension MeshCore {
    static func memberKeyHash(_ id: NodeID) -> UInt64 {
        var h = StableHash()
        h.combine(id.rawValue)
        return h.value
    }

    static func memberItemHash(_ id: NodeID, _ incarnation: UInt64) -> UInt64 {
        var h = StableHash()
        h.combine(memberKeyHash(id))
        h.combine(incarnation)
        return h.value
    }

    /// Applies piggybacked or gossiped broadcasts; new ones are queued to be passed on.
    mutating func apply(_ gossip: [GossipItem], from: NodeID, now: MeshInstant) -> [MeshDirective] {
        var out: [MeshDirective] = []
        for item in gossip {
            out += apply(item, now: now, rebroadcast: true)
        }
        return out
    }

    mutating func apply(_ item: GossipItem, now: MeshInstant, rebroadcast: Bool) -> [MeshDirective] {
        switch item {
        case .alive(let id, let inc, let address):
            return onAlive(id, incarnation: inc, address: address, now: now, rebroadcast: rebroadcast)
        case .suspect(let id, let inc, let from):
            return onSuspect(id, incarnation: inc, from: from, now: now, rebroadcast: rebroadcast)
        case .dead(let id, let inc, let from):
            return onDead(id, incarnation: inc, from: from, now: now, rebroadcast: rebroadcast)
        case .entry(let entry):
            return onEntry(entry, rebroadcast: rebroadcast)
        }
    }

    mutating func onAlive(_ id: NodeID, incarnation inc: UInt64, address: String, now: MeshInstant, rebroadcast: Bool) -> [MeshDirective] {
        if id == me {
            // Someone holds a newer incarnation of us (we restarted and forgot it): outbid it.
            if inc > incarnation, !leaving { return refute(above: inc) }
            return []
        }
        if let m = members[id] {
            guard inc > m.incarnation else { return [] }
            let previous = m.status
            setMember(Member(id: id, address: address, incarnation: inc, status: .alive, since: previous == .alive ? m.since : now))
            suspicions[id] = nil
            // Back from dead or gone (a restart): the probes it missed measured its absence, which
            // membership already showed, not the link. Counted as loss they would keep routes off
            // the restarted node long after it is back; reset, and reported at the next
            // housekeeping (`linksBack`). The RTT still describes the path.
            if previous == .dead || previous == .left {
                links[id]?.loss = 0
                linksBack.insert(id)
            }
            if rebroadcast { enqueue(.alive(id: id, incarnation: inc, address: address)) }
            return previous == .alive ? [] : [.membershipChanged(MemberChange(node: id, status: .alive, incarnation: inc, previous: previous))]
        }
        setMember(Member(id: id, address: address, incarnation: inc, status: .alive, since: now))
        if rebroadcast { enqueue(.alive(id: id, incarnation: inc, address: address)) }
        return [.membershipChanged(MemberChange(node: id, status: .alive, incarnation: inc, previous: nil))]
    }

    mutating func onSuspect(_ id: NodeID, incarnation inc: UInt64, from: NodeID, now: MeshInstant, rebroadcast: Bool) -> [MeshDirective] {
        if id == me {
            guard !leaving else { return [] }
            if inc >= incarnation { _ = refute(above: inc) }
            return answer(accuser: from)
        }
        guard var m = members[id], m.isActive, inc >= m.incarnation else { return [] }
        if m.status == .suspect, inc == m.incarnation, var s = suspicions[id] {
            // A confirmation from another node shortens the timeout (Lifeguard) and is passed on,
            // so the other suspecters learn of it too.
            guard s.confirmers.insert(from).inserted else { return [] }
            suspicions[id] = s
            if rebroadcast { enqueue(.suspect(id: id, incarnation: inc, from: from)) }
            return [.schedule(.suspicion(id, token: s.token), after: max(s.deadline - now, .zero))]
        }
        let previous = m.status
        m.status = .suspect
        m.incarnation = inc
        m.since = now
        setMember(m)
        stats.suspicionsRaised += 1
        suspicionToken += 1
        let n = active.count + 1
        let minimum = settings.suspicionMinimumTimeout(members: n)
        let s = Suspicion(
            start: now, incarnation: inc, minimum: minimum,
            maximum: minimum.scaled(by: settings.suspicionMaxMultiplier),
            expectedConfirmations: n - 2 < settings.suspicionConfirmations ? 0 : settings.suspicionConfirmations,
            confirmers: [from], token: suspicionToken)
        suspicions[id] = s
        if rebroadcast { enqueue(.suspect(id: id, incarnation: inc, from: from)) }
        return [
            .membershipChanged(MemberChange(node: id, status: .suspect, incarnation: inc, previous: previous)),
            .schedule(.suspicion(id, token: s.token), after: max(s.deadline - now, .zero)),
        ]
    }

    mutating func onDead(_ id: NodeID, incarnation inc: UInt64, from: NodeID, now: MeshInstant, rebroadcast: Bool) -> [MeshDirective] {
        if id == me {
            guard from != me, !leaving else { return [] }
            if inc >= incarnation { _ = refute(above: inc) }
            return answer(accuser: from)
        }
        guard var m = members[id], m.isActive, inc >= m.incarnation else { return [] }
        let previous = m.status
        m.status = from == id ? .left : .dead
        m.incarnation = inc
        m.since = now
        setMember(m)
        suspicions[id] = nil
        if rebroadcast { enqueue(.dead(id: id, incarnation: inc, from: from)) }
        return [.membershipChanged(MemberChange(node: id, status: m.status, incarnation: inc, previous: previous))]
    }

    /// SWIM refutation: outbid the suspicion with a higher incarnation and tell everyone.
    /// Lifeguard counts having to refute as a sign this node is slow.
    mutating func refute(above inc: UInt64) -> [MeshDirective] {
        memberDigest.remove(keyHash: Self.memberKeyHash(me), itemHash: Self.memberItemHash(me, incarnation))
        incarnation = min(max(incarnation, inc), (1 << 62) - 1) + 1  // peers' values are below 2^62 (MeshCodec)
        answered = []
        memberDigest.insert(keyHash: Self.memberKeyHash(me), itemHash: Self.memberItemHash(me, incarnation))
        stats.refutations += 1
        adjustAwareness(+1)
        enqueue(.alive(id: me, incarnation: incarnation, address: address))
        return []
    }

    /// Sends our current `alive` straight to a node that accused us, once per accuser and
    /// incarnation. Gossip alone reaches every node with high probability, but under heavy loss
    /// and thousands of false suspicions an accuser whose timer is short (it has confirmations)
    /// occasionally misses every copy; the direct word makes that a second independent chance.
    mutating func answer(accuser: NodeID) -> [MeshDirective] {
        guard accuser != me, members[accuser] != nil, answered.insert(accuser).inserted else { return [] }
        return [.send(.gossip([.alive(id: me, incarnation: incarnation, address: address)]), to: peer(accuser))]
    }

    /// The suspicion timer fired: declare dead unless refuted or (with new confirmations) not yet due.
    mutating func suspicionFired(_ id: NodeID, token: UInt64, now: MeshInstant) -> [MeshDirective] {
        guard let s = suspicions[id], s.token == token, let m = members[id], m.status == .suspect, m.incarnation == s.incarnation else { return [] }
        if now < s.deadline { return [.schedule(.suspicion(id, token: token), after: s.deadline - now)] }
        stats.deadDeclared += 1
        return onDead(id, incarnation: m.incarnation, from: me, now: now, rebroadcast: true)
    }

    /// Stores a member record, keeping the active set and the membership digest in step.
    mutating func setMember(_ m: Member) {
        let old = members[m.id]
        let keyHash = Self.memberKeyHash(m.id)
        if let old, old.isActive {
            memberDigest.remove(keyHash: keyHash, itemHash: Self.memberItemHash(old.id, old.incarnation))
        }
        members[m.id] = m
        if m.isActive {
            memberDigest.insert(keyHash: keyHash, itemHash: Self.memberItemHash(m.id, m.incarnation))
            let wasInactive = !(old?.isActive ?? false)
            active.insert(m.id)
            if wasInactive {
                // A newcomer goes to a random place in the probe order rather than the end, as in
                // memberlist, so it is probed within a round. The place comes from a hash of the
                // pair (no RNG here, and deterministic): a hash of the member alone would give every
                // node the same order, and all would probe the same member in the same second.
                let slot = probeOrder.isEmpty ? 0 : Int(pairHash(m.id) % UInt64(probeOrder.count + 1))
                probeOrder.insert(m.id, at: slot)
                if slot < probeIndex { probeIndex += 1 }
            }
        } else {
            active.remove(m.id)
        }
    }

    mutating func adjustAwareness(_ delta: Int) {
        awareness = min(max(awareness + delta, 0), settings.awarenessMaxMultiplier - 1)
    }

    /// Lifeguard's local health multiplier applied to a probe duration.
    func scaledByHealth(_ d: Duration) -> Duration { d * (awareness + 1) }
}
