import Testing
@testable import PlexusCore

/// The signed registry on its own: verification, versions, namespaces, pending entries, tombstones.
@Suite struct RegistryTests {
    static func applied(_ e: RegistryEntry) -> Registry.Outcome {
        .applied(RegistryChange(key: e.key, version: e.version, action: e.isTombstone ? .removed : .upserted))
    }

    /// A registry that already knows b's key.
    static func knowingB() -> Registry {
        var r = Registry()
        _ = r.apply(nodeEntry("b"))
        return r
    }

    @Test func nodeEntryThenOwnedEntriesAreApplied() {
        var r = Registry()
        let node = nodeEntry("b")
        let subject = entry("b", .subject, "agent-1", counter: 2)
        #expect(r.apply(node) == [Self.applied(node)])
        #expect(r.apply(subject) == [Self.applied(subject)])
        #expect(r.live(.subject) == [subject])
        #expect(r.live(.node) == [node])
        #expect(r.stats.applied == 2)
        #expect(r.digest.count == 2)
    }

    @Test func staleVersionsAreIgnoredAndNewerReplace() {
        var r = Self.knowingB()
        let v3 = entry("b", .subject, "s", counter: 3, value: ["v": 3])
        #expect(r.apply(v3) == [Self.applied(v3)])
        let digest = r.digest
        #expect(r.apply(v3) == [.stale])
        #expect(r.apply(entry("b", .subject, "s", counter: 2, value: ["v": 2])) == [.stale])
        #expect(r.stats.stale == 2)
        #expect(r.digest == digest)
        let v4 = entry("b", .subject, "s", counter: 4, value: ["v": 4])
        #expect(r.apply(v4) == [Self.applied(v4)])
        #expect(r.live(.subject) == [v4])
        #expect(r.digest != digest)
    }

    /// Flips one byte of what a signature covers, or of the signature itself.
    @Test(arguments: ["payload", "signature", "version", "id", "kind"])
    func tamperedEntryIsRejected(_ part: String) {
        var r = Self.knowingB()
        var e = entry("b", .subject, "agent", counter: 2, value: ["name": "x"])
        switch part {
        case "payload": e.payload![3] ^= 0x01
        case "signature": e.signature[10] ^= 0x80
        case "version": e.version.counter += 1
        case "id": e.key.id = "agenT"
        default: e.key.kind = .backbone
        }
        #expect(r.apply(e) == [.rejected(.badSignature)])
        #expect(r.stats.rejectedSignature == 1)
        #expect(r[e.key] == nil)
        #expect(r.live(.subject).isEmpty && r.live(.backbone).isEmpty)
    }

    @Test func tamperedNodeEntryIsRejected() {
        var r = Registry()
        var node = nodeEntry("b")
        node.signature[0] ^= 0x01
        #expect(r.apply(node) == [.rejected(.badSignature)])
        #expect(r.stats.rejectedSignature == 1)
        // The key was not learned: b's entries still wait.
        #expect(r.apply(entry("b", .subject, "s", counter: 2)) == [.pending])
    }

    @Test(arguments: [RegistryKind.node, .nodeHealth, .linkHealth])
    func perNodeKindsOutsideTheOwnersIdAreRejected(_ kind: RegistryKind) {
        var r = Self.knowingB()
        let e = entry("b", kind, "c", counter: 2)
        #expect(r.apply(e) == [.rejected(.namespace)])
        #expect(r.stats.rejectedNamespace == 1)
        #expect(r[e.key] == nil)
        // The same kind under the owner's own id is fine (node entries must announce a key).
        let own = kind == .node ? nodeEntry("b", version: EntryVersion(generation: 1, counter: 2)) : entry("b", kind, "b", counter: 2)
        #expect(r.apply(own) == [Self.applied(own)])
    }

    @Test func entryOfUnknownOwnerIsHeldUntilItsNodeEntryArrives() {
        var r = Registry()
        let s1 = entry("b", .subject, "s1", counter: 2)
        let s2 = entry("b", .backbone, "s2", counter: 3)
        #expect(r.apply(s1) == [.pending])
        #expect(r.apply(s2) == [.pending])
        #expect(r[s1.key] == nil)
        #expect(r.live(.subject).isEmpty)
        let node = nodeEntry("b")
        #expect(r.apply(node) == [Self.applied(node), Self.applied(s1), Self.applied(s2)])
        #expect(r.live(.subject) == [s1])
        #expect(r.live(.backbone) == [s2])
    }

    @Test func heldEntriesAreCheckedWhenReleased() {
        var r = Registry()
        let forged = entry("b", .subject, "s", counter: 2, signer: meshKey(for: "mallory"))
        #expect(r.apply(forged) == [.pending])
        let older = entry("b", .subject, "s", counter: 1)
        #expect(r.apply(older) == [.pending])
        let node = nodeEntry("b")
        // Both held versions are checked on release: the forgery fails, the genuine one applies.
        #expect(r.apply(node) == [Self.applied(node), .rejected(.badSignature), Self.applied(older)])
        #expect(r.live(.subject) == [older])
    }

    @Test func newerHeldVersionSupersedesAnOlderOne() {
        var r = Registry()
        let v2 = entry("b", .subject, "s", counter: 2, value: ["v": 2])
        let v3 = entry("b", .subject, "s", counter: 3, value: ["v": 3])
        #expect(r.apply(v2) == [.pending])
        #expect(r.apply(v3) == [.pending])
        let node = nodeEntry("b")
        #expect(r.apply(node) == [Self.applied(node), Self.applied(v3)])
        #expect(r.live(.subject) == [v3])
    }

    @Test func nodeEntrySignedByAnotherKeyThanItAnnouncesIsRejected() {
        var r = Registry()
        let node = nodeEntry("b", signer: meshKey(for: "mallory"), announcing: meshKey(for: "b"))
        #expect(r.apply(node) == [.rejected(.badSignature)])
        #expect(r.stats.rejectedSignature == 1)
        #expect(r.live(.node).isEmpty)
    }

    @Test func nodeEntryAnnouncingANewKeyForAPinnedOwnerIsRejected() {
        var r = Self.knowingB()
        let mallory = meshKey(for: "mallory")
        let takeover = nodeEntry("b", signer: mallory, announcing: mallory, version: EntryVersion(generation: 2, counter: 1))
        #expect(r.apply(takeover) == [.rejected(.unknownKey)])
        #expect(r.stats.rejectedSignature == 1)
        #expect(r.live(.node) == [nodeEntry("b")])
    }

    @Test func nodeEntryWithoutASigningKeyIsMalformed() {
        var r = Registry()
        let e = RegistryEntry.signed(key: RegistryKey(owner: "b", kind: .node, id: "b"), version: EntryVersion(generation: 1, counter: 1),
                                     payload: (["id": "b"] as JSONValue).serialized(), by: meshKey(for: "b"))
        #expect(r.apply(e) == [.rejected(.malformed)])
        #expect(r.stats.rejectedMalformed == 1)
    }

    @Test func tombstoneRemovesTheEntryAndCannotBeUndoneByAnOlderVersion() {
        var r = Self.knowingB()
        let v2 = entry("b", .subject, "s", counter: 2)
        let tomb = entry("b", .subject, "s", counter: 3, value: nil)
        _ = r.apply(v2)
        #expect(r.apply(tomb) == [.applied(RegistryChange(key: tomb.key, version: tomb.version, action: .removed))])
        #expect(r.live(.subject).isEmpty)
        #expect(r[tomb.key]?.isTombstone == true)
        #expect(r.apply(v2) == [.stale])
        #expect(r.live(.subject).isEmpty)
        // A newer live version does bring it back.
        let v4 = entry("b", .subject, "s", counter: 4)
        #expect(r.apply(v4) == [Self.applied(v4)])
        #expect(r.live(.subject) == [v4])
    }

    @Test func removeOwnerForgetsEverythingItAnnounced() {
        var r = Self.knowingB()
        _ = r.apply(entry("b", .subject, "s", counter: 2))
        _ = r.apply(entry("b", .subject, "t", counter: 3, value: nil))
        let changes = r.removeOwner("b")
        #expect(changes.map(\.key.id) == ["b", "s"])  // the tombstone is not reported
        #expect(changes.allSatisfy { $0.action == .removed })
        #expect(r.entries.isEmpty)
        #expect(r.digest == DigestLeaves())
    }

    /// Was a bug: `Registry.hold` removed an older held version of the same key without
    /// decrementing `pendingTotal`, so every superseded held entry leaked one unit of the global
    /// pending budget (`maxPendingTotal`) until every new pending entry was dropped.
    @Test func replacingAHeldEntryMustNotLeakThePendingBudget() {
        var r = Registry()
        for counter in 1...UInt64(Registry.maxPendingTotal) {
            // Unsigned is fine: held entries are only checked once the owner's key is known.
            let e = RegistryEntry(key: RegistryKey(owner: "b", kind: .subject, id: "s"), version: EntryVersion(generation: 1, counter: counter),
                                  payload: Array("1".utf8), signature: [UInt8](repeating: 0, count: 64))
            _ = r.apply(e)
        }
        // Only one entry (the newest) is actually held for b.
        let fromC = entry("c", .subject, "x", counter: 2)
        #expect(r.apply(fromC) == [.pending])
        #expect(r.stats.pendingDropped == 0)
        let nodeC = nodeEntry("c")
        #expect(r.apply(nodeC) == [Self.applied(nodeC), Self.applied(fromC)])
    }
}
