import Testing
@testable import PlexusCore

/// The registry as the core runs it: gossip in and out, publishing, tombstones, forgeries.
@Suite struct RegistryCoreTests {
    static func change(_ e: RegistryEntry) -> MeshDirective {
        .registryChanged(RegistryChange(key: e.key, version: e.version, action: e.isTombstone ? .removed : .upserted))
    }

    let node = nodeEntry("b")
    let subject = entry("b", .subject, "agent", counter: 2)

    @Test func gossipedEntriesAreAppliedReportedAndPassedOn() {
        var d = CoreDriver()
        d.learn("b")
        #expect(d.receive(.gossip([.entry(node), .entry(subject)]), from: "b") == [
            Self.change(node), Self.change(subject), .schedule(.gossip(token: 2), after: .milliseconds(10)),
        ])
        #expect(d.fire(.gossip(token: 2)).sends.first?.message == .gossip([.entry(subject), .entry(node)]))
    }

    @Test func rejectedAndStaleEntriesAreNeitherReportedNorPassedOn() {
        var d = CoreDriver()
        d.learn("b")
        _ = d.receive(.gossip([.entry(node), .entry(subject)]), from: "b")
        d.drain()
        var tampered = entry("b", .subject, "other", counter: 3)
        tampered.payload![0] ^= 0x20
        #expect(d.receive(.gossip([.entry(tampered), .entry(subject), .entry(entry("b", .node, "c", counter: 4))]), from: "b") == [])
        #expect(d.core.broadcasts.isEmpty)
        #expect(d.core.registry.stats.rejectedSignature == 1)
        #expect(d.core.registry.stats.rejectedNamespace == 1)
        #expect(d.core.registry.stats.stale == 1)
    }

    @Test func entryOfUnknownOwnerIsAppliedOnceItsNodeEntryArrives() {
        var d = CoreDriver()
        d.learn("b")
        #expect(d.receive(.gossip([.entry(subject)]), from: "b") == [])
        #expect(d.core.registry[subject.key] == nil)
        #expect(d.receive(.gossip([.entry(node)]), from: "b") == [
            Self.change(node), Self.change(subject), .schedule(.gossip(token: 2), after: .milliseconds(10)),
        ])
        #expect(d.core.registry.live(.subject) == [subject])
    }

    @Test func repairedEntriesAreNotReGossiped() {
        var d = CoreDriver()
        d.learn("b")
        #expect(d.receive(.syncUpdate(members: [], entries: [node, subject]), from: "b") == [Self.change(node), Self.change(subject)])
        #expect(d.core.broadcasts.isEmpty)
    }

    @Test func publishAndTombstoneOwnEntries() {
        var d = CoreDriver()
        let key = RegistryKey(owner: "a", kind: .subject, id: "agent")
        // Counter 1 is the node entry written at start.
        #expect(d.core.publish(kind: .subject, id: "agent", value: ["x": 1], now: .zero) == [
            .registryChanged(RegistryChange(key: key, version: EntryVersion(generation: 1, counter: 2), action: .upserted)),
        ])
        #expect(d.core.registry.live(.subject).map(\.value) == [["x": 1]])
        #expect(d.core.publish(kind: .subject, id: "agent", value: nil, now: .zero) == [
            .registryChanged(RegistryChange(key: key, version: EntryVersion(generation: 1, counter: 3), action: .removed)),
        ])
        #expect(d.core.registry.live(.subject).isEmpty)
        #expect(d.core.registry[key]?.isTombstone == true)
        // The tombstone is what gets gossiped.
        #expect(d.core.broadcasts.take(budget: .max, limit: 1) == [.entry(d.core.registry[key]!)])
    }

    @Test func tombstoneReachesOtherNodesAndAnOlderVersionCannotResurrect() {
        var a = CoreDriver("a")
        var b = CoreDriver("b", seed: 8)
        let key = RegistryKey(owner: "a", kind: .subject, id: "agent")
        _ = a.core.publish(kind: .subject, id: "agent", value: ["x": 1], now: .zero)
        let live = a.core.registry[key]!
        let aNode = a.core.registry[RegistryKey(owner: "a", kind: .node, id: "a")]!
        #expect(b.receive(.gossip([.entry(aNode), .entry(live)]), from: "a").registryChanges.count == 2)
        _ = a.core.publish(kind: .subject, id: "agent", value: nil, now: .zero)
        let tomb = a.core.registry[key]!
        #expect(b.receive(.gossip([.entry(tomb)]), from: "a") == [Self.change(tomb)])
        #expect(b.core.registry.live(.subject).isEmpty)
        #expect(b.receive(.gossip([.entry(live)]), from: "c") == [])
        #expect(b.core.registry.live(.subject).isEmpty)
        #expect(b.core.registry[key] == tomb)
    }

    @Test(arguments: ["gossip", "syncUpdate"])
    func forgedEntriesOwnedByThisNodeAreNeverAccepted(_ path: String) {
        var d = CoreDriver()
        d.learn("b")
        let nodeKey = RegistryKey(owner: "a", kind: .node, id: "a")
        let mallory = meshKey(for: "mallory")
        let forgedNode = nodeEntry("a", signer: mallory, announcing: mallory, version: EntryVersion(generation: 1, counter: 50))
        let forgedSubject = entry("a", .subject, "x", counter: 50, signer: mallory)
        let message: MeshMessage = path == "gossip"
            ? .gossip([.entry(forgedSubject), .entry(forgedNode)])
            : .syncUpdate(members: [], entries: [forgedSubject, forgedNode])
        let before = d.core.registry[nodeKey]!
        let versionBefore = d.core.ownVersion
        #expect(d.receive(message, from: "b").registryChanges == [])
        #expect(d.core.registry[forgedSubject.key] == nil)
        // A forgery is checked against our own key, counted, and changes nothing: our entry,
        // our version counter and the broadcast queue stay as they were.
        #expect(d.core.registry.stats.rejectedSignature == 2)
        #expect(d.core.registry[nodeKey] == before)
        #expect(d.core.ownVersion == versionBefore)
        #expect(d.core.broadcasts.take(budget: .max, limit: 1) == [])
        let mine = d.core.registry[nodeKey]!
        #expect(Registry.signingKey(in: mine.payload!) == meshKey(for: "a").publicKey)
        #expect(SignatureVerifier.verify(mine.signature, of: mine.signedBytes, publicKey: meshKey(for: "a").publicKey))
    }

    /// A genuine entry of ours with a higher version (signed in a previous life whose clock ran
    /// ahead) is outbid, so peers holding it converge on our current state.
    @Test func genuineNewerOwnEntryIsOutbid() {
        var d = CoreDriver()
        d.learn("b")
        let nodeKey = RegistryKey(owner: "a", kind: .node, id: "a")
        let previousLife = nodeEntry("a", version: EntryVersion(generation: 1, counter: 50))
        #expect(d.receive(.gossip([.entry(previousLife)]), from: "b").registryChanges == [])
        let mine = d.core.registry[nodeKey]!
        #expect(mine.version > previousLife.version)
        #expect(SignatureVerifier.verify(mine.signature, of: mine.signedBytes, publicKey: meshKey(for: "a").publicKey))
        #expect(d.core.registry.stats.rejectedSignature == 0)
        #expect(d.core.broadcasts.take(budget: .max, limit: 1) == [.entry(mine)])
        // Echoes of what we hold are dropped.
        #expect(d.receive(.gossip([.entry(mine), .entry(previousLife)]), from: "b") == [])
        #expect(d.core.registry[nodeKey] == mine)
    }

    /// Our entry from before a restart that we no longer hold (a backbone written through us) is
    /// adopted, not dropped: we hold what the mesh holds for us, so anti-entropy converges.
    @Test func ownEntryFromAPreviousLifeIsAdopted() {
        var d = CoreDriver()
        d.learn("b")
        let old = entry("a", .backbone, "bb-1", counter: 3, value: ["name": "kept"])
        let changes = d.receive(.gossip([.entry(old)]), from: "b").registryChanges
        #expect(changes == [RegistryChange(key: old.key, version: old.version, action: .upserted)])
        #expect(d.core.registry[old.key] == old)
        #expect(d.core.registry.stats.rejectedSignature == 0)
        // Our next write of that key supersedes it.
        _ = d.core.publish(kind: .backbone, id: "bb-1", value: ["name": "new"], now: .zero)
        #expect(d.core.registry[old.key]!.version > old.version)
    }

    /// A genuine own entry at the counter limit rolls our version into the next generation.
    @Test func genuineOwnEntryAtTheCounterLimitRollsTheGeneration() {
        var d = CoreDriver()
        let nodeKey = RegistryKey(owner: "a", kind: .node, id: "a")
        let previousLife = nodeEntry("a", version: EntryVersion(generation: 1, counter: .max))
        _ = d.receive(.gossip([.entry(previousLife)]), from: "b")
        #expect(d.core.registry[nodeKey]?.version == EntryVersion(generation: 2, counter: 0))
        #expect(d.core.registry.stats.rejectedSignature == 0)
    }

    /// Was a crash: `onEntry` raised `ownVersion.counter` to the counter of any higher-versioned
    /// entry naming this node as owner before checking its signature, and `republish` then trapped
    /// on `counter += 1`. A forged entry with counter `UInt64.max` must be rejected (and counted)
    /// without touching our version.
    @Test func forgedOwnEntryWithMaximalCounterIsRejected() {
        var d = CoreDriver()
        let nodeKey = RegistryKey(owner: "a", kind: .node, id: "a")
        let before = d.core.registry[nodeKey]!
        let versionBefore = d.core.ownVersion
        let mallory = meshKey(for: "mallory")
        let forged = nodeEntry("a", signer: mallory, version: EntryVersion(generation: 1, counter: .max))
        #expect(d.receive(.gossip([.entry(forged)]), from: "b") == [])
        #expect(d.core.registry.stats.rejectedSignature == 1)
        #expect(d.core.ownVersion == versionBefore)
        #expect(d.core.registry[nodeKey] == before)
        #expect(d.core.broadcasts.take(budget: .max, limit: 1) == [])
        // Publishing still works and stays in the current generation.
        _ = d.core.publish(kind: .subject, id: "s", value: ["x": 1], now: d.now)
        #expect(d.core.ownVersion == EntryVersion(generation: versionBefore.generation, counter: versionBefore.counter + 1))
    }

    @Test func longDeadMembersAreReclaimedWithTheirEntries() {
        var d = CoreDriver()
        d.learn("b", "c")
        _ = d.receive(.gossip([.entry(node), .entry(subject)]), from: "b")
        _ = d.receive(.gossip([.dead(id: "b", incarnation: 0, from: "c")]), from: "c")
        d.advance(.seconds(60))
        #expect(d.fire(.housekeeping).registryChanges.filter { $0.key.owner == "b" } == [])
        d.advance(MeshSettings.pinned.deadMemberReclaim)
        let out = d.fire(.housekeeping)
        #expect(out.registryChanges.filter { $0.key.owner == "b" } == [
            RegistryChange(key: node.key, version: node.version, action: .removed),
            RegistryChange(key: subject.key, version: subject.version, action: .removed),
        ])
        #expect(d.core.member("b") == nil)
        #expect(d.core.registry.live(.subject).isEmpty)
        #expect(out.contains(.schedule(.housekeeping, after: .seconds(1))))
    }
}
