extension MeshCore {
    mutating func enqueue(_ item: GossipItem) {
        broadcasts.enqueue(item)
    }

    /// Plexus's eager forwarding: when a broadcast has not been sent yet, gossip within
    /// `eagerGossipDelay` rather than at the next period. Nothing is armed while the queue is
    /// empty, so a quiet mesh sends no gossip at all.
    mutating func armEagerGossip(now: MeshInstant) -> [MeshDirective] {
        guard broadcasts.hasFresh, active.count > 0 else { return [] }
        let due = now + settings.eagerGossipDelay
        if let current = gossipDue, current <= due { return [] }
        return armGossip(at: due, now: now)
    }

    mutating func armGossip(at due: MeshInstant, now: MeshInstant) -> [MeshDirective] {
        gossipToken += 1
        gossipDue = due
        return [.schedule(.gossip(token: gossipToken), after: due - now)]
    }

    /// Configuration entries (policies, webhook secrets) stay within the organisation: a node of
    /// another organisation could not use them (its registry refuses them) and should not see them.
    static func sharesConfiguration(_ a: NodeID, _ b: NodeID) -> Bool { a.organisation == b.organisation }

    /// Sends queued broadcasts to `gossipNodes` random members, then re-arms while any remain.
    mutating func gossipTick(now: MeshInstant, rng: inout some RandomNumberGenerator) -> [MeshDirective] {
        gossipDue = nil
        var out: [MeshDirective] = []
        let limit = retransmitLimit
        for target in active.sample(settings.gossipNodes, using: &rng) {
            var items = broadcasts.take(budget: settings.maxGossipBytes, limit: limit)
            if items.isEmpty { break }
            if !Self.sharesConfiguration(me, target) { items.removeAll { if case .entry(let e) = $0 { e.key.kind == .config } else { false } } }
            if items.isEmpty { continue }
            out.append(.send(.gossip(items), to: peer(target)))
        }
        if !broadcasts.isEmpty, active.count > 0 {
            out += armGossip(at: now + settings.gossipInterval, now: now)
        }
        return out
    }
}
