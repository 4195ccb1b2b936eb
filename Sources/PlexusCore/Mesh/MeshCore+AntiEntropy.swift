/// Digest-based anti-entropy. A round is four small messages when something differs and one
/// when nothing does:
///
///     initiator ── syncDigest(roots) ──────────────▶ responder   roots equal: done
///               ◀── syncBuckets(bucket hashes) ────             (only the digests that differ)
///               ── syncSummary(versions in differing buckets, wantsReply) ─▶
///               ◀── syncUpdate(what the initiator lacks) + syncSummary(own versions) ──
///               ── syncUpdate(what the responder lacks) ─▶
///
/// The roots are maintained incrementally, so a quiet round costs 8 + 8 bytes whatever the mesh
/// size, and the work and bytes of a repair grow with the differences, not with N.
extension MeshCore {
    static let sessionLifetime: Duration = .seconds(30)
    static let maxMembersPerSyncMessage = 512

    mutating func antiEntropyTick(now: MeshInstant, rng: inout some RandomNumberGenerator) -> [MeshDirective] {
        syncSessions = syncSessions.filter { now - $0.value.startedAt < Self.sessionLifetime }
        var out: [MeshDirective] = []
        if let target = active.sample(1, using: &rng).first {
            out += startSync(with: peer(target), join: false, now: now)
        }
        // Keep knocking on seeds that are not (active) members yet, like Consul's retry_join:
        // when every node starts at once, a seed dialled before it listened is otherwise never
        // tried again, and two groups that formed around different seeds would never merge.
        let known = Set(members.values.filter(\.isActive).map(\.address))
        let unresolved = seeds.filter { !known.contains($0) }
        if !unresolved.isEmpty {
            out += startSync(with: Peer(id: nil, address: unresolved[rng.nextInt(below: unresolved.count)]), join: true, now: now)
        }
        // Serf's reconnect: also knock on one member believed dead. After a partition heals this
        // is how the two sides find each other again; nobody probes or gossips to the dead.
        let dead = members.keys.filter { members[$0]!.status == .dead }.sorted()
        if !dead.isEmpty {
            out += startSync(with: peer(dead[rng.nextInt(below: dead.count)]), join: true, now: now)
        }
        return out
    }

    mutating func startSync(with peer: Peer, join: Bool, now: MeshInstant) -> [MeshDirective] {
        syncRound &+= 1
        let bucketCount = DigestLeaves.bucketCount(forItems: max(memberDigest.count, registry.digest.count))
        syncSessions[syncRound] = SyncSession(peer: peer, bucketCount: bucketCount, startedAt: now)
        stats.syncRounds += 1
        let digest = SyncDigest(round: syncRound, bucketCount: UInt16(bucketCount), memberRoot: memberDigest.root,
                                registryRoot: registry.digest.root, join: join)
        return [.send(.syncDigest(digest), to: peer)]
    }

    static func validBucketCount(_ c: UInt16) -> Int? {
        let n = Int(c)
        return n > 0 && n <= DigestLeaves.leafCount && n & (n - 1) == 0 ? n : nil
    }

    mutating func handleDigest(_ d: SyncDigest, from: NodeID, now: MeshInstant) -> [MeshDirective] {
        let membersDiffer = d.memberRoot != memberDigest.root
        let registryDiffers = d.registryRoot != registry.digest.root
        guard membersDiffer || registryDiffers, let c = Self.validBucketCount(d.bucketCount) else { return [] }
        let buckets = SyncBuckets(round: d.round, bucketCount: d.bucketCount,
                                  memberBuckets: membersDiffer ? memberDigest.buckets(c) : [],
                                  registryBuckets: registryDiffers ? registry.digest.buckets(c) : [])
        return [.send(.syncBuckets(buckets), to: peer(from))]
    }

    mutating func handleBuckets(_ b: SyncBuckets, from: NodeID) -> [MeshDirective] {
        // Checked before the session is consumed, so a stray reply cannot cancel the real one.
        guard let session = syncSessions[b.round], session.peer.id == nil || session.peer.id == from,
              Int(b.bucketCount) == session.bucketCount else { return [] }
        syncSessions[b.round] = nil
        let c = session.bucketCount
        func differing(_ theirs: [UInt64], _ mine: [UInt64]) -> [UInt16] {
            guard theirs.count == c else { return [] }
            return (0..<c).filter { theirs[$0] != mine[$0] }.map { UInt16($0) }
        }
        let m = b.memberBuckets.isEmpty ? [] : differing(b.memberBuckets, memberDigest.buckets(c))
        let r = b.registryBuckets.isEmpty ? [] : differing(b.registryBuckets, registry.digest.buckets(c))
        guard !m.isEmpty || !r.isEmpty else { return [] }
        return [.send(.syncSummary(summary(round: b.round, bucketCount: c, memberBuckets: m, registryBuckets: r, wantsReply: true)), to: peer(from))]
    }

    func summary(round: UInt32, bucketCount c: Int, memberBuckets: [UInt16], registryBuckets: [UInt16], wantsReply: Bool) -> SyncSummary {
        let mSet = Set(memberBuckets.map(Int.init))
        let rSet = Set(registryBuckets.map(Int.init))
        return SyncSummary(round: round, bucketCount: UInt16(c), memberBuckets: memberBuckets, registryBuckets: registryBuckets,
                           members: memberSummaries(in: mSet, bucketCount: c),
                           entries: rSet.isEmpty ? [] : registry.summaries(buckets: rSet, bucketCount: c),
                           wantsReply: wantsReply)
    }

    /// This node's view (itself included) of the members in `buckets`.
    func memberSummaries(in buckets: Set<Int>, bucketCount c: Int) -> [MemberSummary] {
        guard !buckets.isEmpty else { return [] }
        func inBucket(_ id: NodeID) -> Bool { buckets.contains(DigestLeaves.bucket(ofKeyHash: Self.memberKeyHash(id), count: c)) }
        var out: [MemberSummary] = []
        if inBucket(me) {
            out.append(MemberSummary(id: me, address: address, incarnation: incarnation, status: leaving ? .left : .alive))
        }
        for m in members.values where inBucket(m.id) {
            out.append(MemberSummary(id: m.id, address: m.address, incarnation: m.incarnation, status: m.status))
        }
        return out.sorted { $0.id < $1.id }
    }

    mutating func handleSummary(_ s: SyncSummary, from: NodeID) -> [MeshDirective] {
        guard let c = Self.validBucketCount(s.bucketCount),
              s.memberBuckets.allSatisfy({ Int($0) < c }), s.registryBuckets.allSatisfy({ Int($0) < c }) else { return [] }
        let theirMembers = Dictionary(s.members.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let theirEntries = Dictionary(s.entries.map { ($0.key, $0.version) }, uniquingKeysWith: { a, _ in a })
        let mine = summary(round: s.round, bucketCount: c, memberBuckets: s.memberBuckets, registryBuckets: s.registryBuckets, wantsReply: false)

        let pushMembers = mine.members.filter { m in
            guard let theirs = theirMembers[m.id] else { return m.status == .alive || m.status == .suspect }
            return m.supersedes(incarnation: theirs.incarnation, status: theirs.status)
        }
        let sharesConfiguration = Self.sharesConfiguration(me, from)
        let pushEntries = mine.entries.compactMap { e -> RegistryEntry? in
            if let theirs = theirEntries[e.key], theirs >= e.version { return nil }
            if e.key.kind == .config, !sharesConfiguration { return nil }
            return registry.replica(e.key)
        }
        var out: [MeshDirective] = []
        let target = peer(from)
        var memberChunks = stride(from: 0, to: pushMembers.count, by: Self.maxMembersPerSyncMessage).map {
            Array(pushMembers[$0..<min($0 + Self.maxMembersPerSyncMessage, pushMembers.count)])
        }
        let chunk = settings.maxEntriesPerSyncMessage
        var entryChunks = stride(from: 0, to: pushEntries.count, by: chunk).map {
            Array(pushEntries[$0..<min($0 + chunk, pushEntries.count)])
        }
        while !memberChunks.isEmpty || !entryChunks.isEmpty {
            let m = memberChunks.isEmpty ? [] : memberChunks.removeFirst()
            let e = entryChunks.isEmpty ? [] : entryChunks.removeFirst()
            out.append(.send(.syncUpdate(members: m, entries: e), to: target))
        }
        if s.wantsReply {
            // Only what they hold newer or we lack matters to them; our own summary says it.
            out.append(.send(.syncSummary(mine), to: target))
        }
        return out
    }

    mutating func handleUpdate(members updates: [MemberSummary], entries: [RegistryEntry], from: NodeID, now: MeshInstant) -> [MeshDirective] {
        var out: [MeshDirective] = []
        for m in updates {
            // Repairs are point to point and mostly not re-gossiped: the rest of the mesh has them
            // or gets them from its own rounds. Exceptions spread at once: a peer announcing
            // itself (a joiner's first sync with its seeds, which would otherwise swallow the
            // news), a member back from the dead (a healed partition), and suspicion. Like
            // memberlist's push-pull merge, a remote "dead" only makes us suspect: the member
            // gets to refute it.
            switch m.status {
            case .alive:
                let resurrected = members[m.id].map { !$0.isActive } ?? false
                let selfAnnounced = m.id == from && members[m.id] == nil
                out += onAlive(m.id, incarnation: m.incarnation, address: m.address, now: now, rebroadcast: resurrected || selfAnnounced)
            case .suspect, .dead:
                out += onSuspect(m.id, incarnation: m.incarnation, from: from, now: now, rebroadcast: true)
            case .left:
                out += onDead(m.id, incarnation: m.incarnation, from: m.id, now: now, rebroadcast: false)
            }
        }
        for entry in entries {
            out += onEntry(entry, rebroadcast: false)
        }
        stats.syncRepairs += out.count
        return out
    }
}
