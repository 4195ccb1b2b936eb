import Foundation

extension MeshCore {
    /// Signs and stores a new version of one of this node's own entries and queues it for gossip.
    /// Next version of our entries; a counter at its limit rolls into the next generation.
    mutating func bumpOwnVersion() {
        if ownVersion.counter == .max {
            ownVersion = EntryVersion(generation: ownVersion.generation &+ 1, counter: 0)
        } else {
            ownVersion.counter += 1
        }
    }

    mutating func publishOwn(kind: RegistryKind, id: String, value: JSONValue?, now: MeshInstant) -> [MeshDirective] {
        bumpOwnVersion()
        let key = RegistryKey(owner: me, kind: kind, id: id)
        let payload = value.map { $0.serialized() }
        let entry = RegistryEntry.signed(key: key, version: ownVersion, payload: payload, by: signer)
        registry.storeOwn(entry, publicKey: signer.publicKey)
        enqueue(.entry(entry))
        return [.registryChanged(RegistryChange(key: key, version: entry.version, action: entry.isTombstone ? .removed : .upserted))]
    }

    mutating func onEntry(_ entry: RegistryEntry, rebroadcast: Bool) -> [MeshDirective] {
        if entry.key.owner == me {
            // Only we sign our entries, and peers echo them back to us all the time: a copy of
            // what we hold (or older) is dropped without the cost of a signature check. A genuine
            // newer one is from a previous life whose clock ran ahead: outbid it so the mesh
            // converges on our current state. A forgery is counted and changes nothing.
            let mine = registry[entry.key]
            if let mine, entry.version < mine.version || (entry.version == mine.version && entry.signature == mine.signature) {
                return []
            }
            guard SignatureVerifier.verify(entry.signature, of: entry.signedBytes, publicKey: signer.publicKey) else {
                registry.countForgery()
                return []
            }
            ownVersion = max(ownVersion, entry.version)
            guard let mine else {
                // Ours from before a restart (a backbone written through this node, a subject
                // announced then): adopt it, so this node holds what the mesh holds for it and
                // anti-entropy with it converges. Our next write of that key supersedes it.
                registry.storeOwn(entry, publicKey: signer.publicKey)
                return [.registryChanged(RegistryChange(key: entry.key, version: entry.version, action: entry.isTombstone ? .removed : .upserted))]
            }
            guard entry.version > mine.version else { return [] }
            return republish(mine)
        }
        var out: [MeshDirective] = []
        for outcome in registry.apply(entry) {
            guard case .applied(let change) = outcome else { continue }
            out.append(.registryChanged(change))
            if rebroadcast, let applied = registry[change.key] { enqueue(.entry(applied)) }
        }
        return out
    }

    mutating func republish(_ entry: RegistryEntry) -> [MeshDirective] {
        bumpOwnVersion()
        let fresh = RegistryEntry.signed(key: entry.key, version: ownVersion, payload: entry.payload, by: signer)
        registry.storeOwn(fresh, publicKey: signer.publicKey)
        enqueue(.entry(fresh))
        return []
    }

    /// Once a second: reclaim long-dead members and publish health when it moved enough.
    mutating func housekeeping(now: MeshInstant) -> [MeshDirective] {
        var out: [MeshDirective] = []
        // Sorted: dictionary order differs between processes and directives must replay exactly.
        let reclaim = members.values.filter { !$0.isActive && now - $0.since > settings.deadMemberReclaim }.map(\.id).sorted()
        for id in reclaim {
            members[id] = nil
            links[id] = nil
            suspicions[id] = nil
            out += registry.removeOwner(id).map { .registryChanged($0) }
        }
        out += publishHealthIfMoved(now: now)
        return out
    }

    func due(_ last: MeshInstant?, now: MeshInstant) -> Bool {
        last.map { now - $0 >= settings.healthPublishInterval } ?? true
    }

    mutating func publishHealthIfMoved(now: MeshInstant) -> [MeshDirective] {
        var out: [MeshDirective] = []
        if due(lastHealthPublish, now: now), publishedHealth.map({ healthMoved(from: $0) }) ?? true {
            publishedHealth = health
            lastHealthPublish = now
            let value: JSONValue = ["load": .double(rounded(health.load, 2)), "queue_depth": .integer(Int64(health.queueDepth))]
            out += publishOwn(kind: .nodeHealth, id: me.rawValue, value: value, now: now)
        }
        // A peer back from a restart is reported at once, without waiting for the scheduled
        // check, and added back even though it is not a refresh yet: routes are costed from
        // published figures only, and while it was dead a scheduled check dropped it. Waiting
        // for the refresh kept the restarted relay's links costed as unmeasured for minutes,
        // off its neighbours' routes, and their alternatives led back the way messages came
        // (simulations/routing-relay-crash.yaml, seed 22: failover p99 1.6 s).
        let back = linksBack
        linksBack = []
        let scheduled = due(lastLinkCheck, now: now)
        if scheduled || !back.isEmpty {
            if scheduled { lastLinkCheck = now }
            let current = linkSample()
            let backChanged = back.contains { peer in
                current[peer.rawValue].map { stat in publishedLinks[peer.rawValue].map { $0.loss != stat.loss } ?? true } ?? false
            }
            if backChanged || (scheduled && linksMoved(current, refresh: lastLinkPublish.map { now - $0 >= settings.linkHealthRefresh } ?? true)) {
                publishedLinks = current
                lastLinkPublish = now
                var object = JSONObject()
                for peer in current.keys.sorted() {
                    let l = current[peer]!
                    object[peer] = ["rtt_ms": .double(rounded(l.rttMilliseconds, 2)), "loss": .double(rounded(l.loss, 3))]
                }
                out += publishOwn(kind: .linkHealth, id: me.rawValue, value: ["links": .object(object)], now: now)
            }
        }
        return out
    }

    func healthMoved(from old: NodeHealth) -> Bool {
        abs(health.load - old.load) > max(old.load, 0.1) * settings.healthRelativeChange
            || abs(Double(health.queueDepth - old.queueDepth)) > max(Double(old.queueDepth), 10) * settings.healthRelativeChange
    }

    /// The peers whose links this node reports: those it already reports while they stay active,
    /// topped up (to `maxLinkHealthPeers` without configured neighbours) from the other measured members in a stable order (by
    /// hash of the pair), so the set changes only with churn.
    func linkSample() -> [String: LinkStat] {
        // With forwarding neighbours configured, only those links matter for routing.
        let neighbors: [String]? = if case .array(let list)? = ownRecord["neighbors"] { list.compactMap(\.stringValue) } else { nil }
        let usable = links.filter {
            active.contains($0.key) && $0.value.samples >= settings.linkHealthMinSamples && Namespace.matches(neighbors, $0.key.rawValue)
        }
        var out: [String: LinkStat] = [:]
        for peer in publishedLinks.keys {
            if let stat = usable[NodeID(peer)] { out[peer] = stat }
        }
        let others = usable.keys.filter { out[$0.rawValue] == nil }.map { (pairHash($0), $0) }.sorted { $0.0 < $1.0 }
        // Every forwarding neighbour is reported (routes are costed from published figures
        // only, so an unreported link would be costed as unmeasured); without configured
        // neighbours a sample of the full mesh is enough.
        let cap = neighbors == nil ? settings.maxLinkHealthPeers : usable.count
        for (_, id) in others.prefix(max(0, cap - out.count)) { out[id.rawValue] = usable[id] }
        return out
    }

    func pairHash(_ peer: NodeID) -> UInt64 {
        var h = StableHash()
        h.combine(me.rawValue)
        h.combine(peer.rawValue)
        return h.value
    }

    /// Worth a new version: a reported peer's figures moved a lot, or a reported peer is gone.
    /// Peers newly measured are added only at the next `refresh`, so warming up (each peer is
    /// probed once per n protocol periods) does not republish every interval.
    func linksMoved(_ current: [String: LinkStat], refresh: Bool) -> Bool {
        if publishedLinks.keys.contains(where: { current[$0] == nil }) { return true }
        let moved = publishedLinks.contains { peer, old in
            current[peer]!.differs(from: old, relative: settings.healthRelativeChange, floor: settings.healthRTTFloorMilliseconds,
                                   lossChange: settings.healthLossChange)
        }
        return moved || (refresh && Set(current.keys) != Set(publishedLinks.keys))
    }

    func rounded(_ v: Double, _ places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (v * scale).rounded() / scale
    }
}
