import Testing
@testable import PlexusCore

/// The registry's trust seam: namespaces of an admitted owner, re-keying, and glob matching.
@Suite struct RegistryTrustTests {
    /// Admits every owner with its payload's key, in the namespace of its organisation (the
    /// part of its id before the first `/`): `acme` unrestricted, `globex` only `globex.*`.
    struct OrgTrust: RegistryTrust {
        var pinsFirstKey: Bool { false }
        func admitNode(owner: NodeID, payload: JSONValue) -> NodeAdmission {
            guard let hex = payload["signing_key"]?.stringValue, let key = Hex.decode(hex) else { return .rejected(.malformed) }
            let org = String(owner.rawValue.split(separator: "/").first ?? "")
            let namespace = org == "acme" ? Namespace.unrestricted
                : Namespace(subjects: ["globex.*"], backbones: ["globex-*"], clusters: ["ap1"])
            return .admitted(NodeCredential(signingKey: key, organisation: org, namespace: namespace))
        }
    }

    @Test func foreignEntriesOutsideTheirNamespaceAreRejectedAndCounted() {
        var r = Registry(trust: OrgTrust())
        _ = r.apply(nodeEntry("globex/ap1/n1"))
        let inside = entry("globex/ap1/n1", .subject, "globex.bot", counter: 2)
        let outside = entry("globex/ap1/n1", .subject, "acme.spy", counter: 3)
        let backboneInCluster = entry("globex/ap1/n1", .backbone, "globex-1", counter: 4, value: ["cluster_id": "ap1", "updated_at": 1])
        let backboneElsewhere = entry("globex/ap1/n1", .backbone, "globex-2", counter: 5, value: ["cluster_id": "eu1", "updated_at": 1])
        #expect(r.apply(inside) == [RegistryTests.applied(inside)])
        #expect(r.apply(outside) == [.rejected(.namespace)])
        #expect(r.apply(backboneInCluster) == [RegistryTests.applied(backboneInCluster)])
        #expect(r.apply(backboneElsewhere) == [.rejected(.namespace)])
        #expect(r.stats.rejectedNamespace == 2)
        #expect(r.credentials["globex/ap1/n1"]?.organisation == "globex")
        // The own organisation may announce anything.
        _ = r.apply(nodeEntry("acme/eu1/n1"))
        let acme = entry("acme/eu1/n1", .subject, "acme.spy", counter: 2)
        #expect(r.apply(acme) == [RegistryTests.applied(acme)])
    }

    /// Disbelieved entries are replicated, not believed: counted once, in the digest (so nodes
    /// with different trust converge), served to anti-entropy, invisible to readers.
    @Test func outOfNamespaceEntriesAreQuarantinedAndCountedOnce() {
        var r = Registry(trust: OrgTrust())
        _ = r.apply(nodeEntry("globex/ap1/n1"))
        let outside = entry("globex/ap1/n1", .subject, "acme.spy", counter: 3)
        #expect(r.apply(outside) == [.rejected(.namespace)])
        #expect(r.apply(outside) == [.stale])
        #expect(r.stats.rejectedNamespace == 1)
        #expect(r.live(.subject).isEmpty)
        #expect(r.replica(outside.key) == outside)
        // A node that believes it (open trust) has the same digest.
        var believer = Registry()
        _ = believer.apply(nodeEntry("globex/ap1/n1"))
        _ = believer.apply(outside)
        #expect(believer.digest == r.digest)
        // A newer version replaces the quarantined one and is counted again.
        let newer = entry("globex/ap1/n1", .subject, "acme.spy", counter: 4)
        #expect(r.apply(newer) == [.rejected(.namespace)])
        #expect(r.replica(outside.key) == newer)
        #expect(r.stats.rejectedNamespace == 2)
    }

    @Test func heldEntriesAreCheckedAgainstTheNamespaceOnceTheOwnerIsAdmitted() {
        var r = Registry(trust: OrgTrust())
        let outside = entry("globex/ap1/n1", .subject, "acme.spy", counter: 3)
        #expect(r.apply(outside) == [.pending])
        let node = nodeEntry("globex/ap1/n1")
        #expect(r.apply(node) == [RegistryTests.applied(node), .rejected(.namespace)])
    }

    @Test func certificateTrustMayReKeyButOpenTrustPins() {
        let other = meshKey(for: "someone-else")
        let first = nodeEntry("acme/eu1/n1")
        let rekeyed = nodeEntry("acme/eu1/n1", signer: other, version: EntryVersion(generation: 2, counter: 1))
        var trusting = Registry(trust: OrgTrust())
        _ = trusting.apply(first)
        #expect(trusting.apply(rekeyed) == [RegistryTests.applied(rekeyed)])
        var pinning = Registry()
        _ = pinning.apply(first)
        #expect(pinning.apply(rekeyed) == [.rejected(.unknownKey)])
    }

    @Test(arguments: [
        ("globex.*", "globex.bot", true), ("globex.*", "globex.", true), ("globex.*", "globexbot", false),
        ("*", "", true), ("a*b*c", "aXXbYYc", true), ("a*b*c", "aXXbYY", false), ("exact", "exact", true),
        ("exact", "exactly", false), ("*-1", "x-1", true), ("**", "anything", true),
    ])
    func globs(pattern: String, value: String, matches: Bool) {
        #expect(Glob.matches(pattern: Array(pattern.utf8), Array(value.utf8)) == matches)
    }

    @Test func backboneRecordsResolveToTheNewestWriteAcrossOwners() throws {
        func backbone(_ owner: NodeID, at: Int64, name: String, deleted: Bool = false, counter: UInt64 = 2) -> RegistryEntry {
            entry(owner, .backbone, "bb", counter: counter,
                  value: BackboneRecord(fields: ["system_id": "bb", "name": .string(name)], owner: owner, updatedAt: at, deleted: deleted).payload)
        }
        let a = backbone("a", at: 100, name: "first")
        let b = backbone("b", at: 200, name: "second")
        #expect(BackboneRecord.newest(of: [a, b]).map { $0.fields["name"] } == ["second"])
        #expect(BackboneRecord.newest(of: [b, a]).map { $0.fields["name"] } == ["second"])
        // Same instant: the owner id breaks the tie the same way on every node.
        let c = backbone("c", at: 200, name: "third")
        #expect(BackboneRecord.newest(of: [c, b]).first?.owner == "c")
        let gone = backbone("a", at: 300, name: "first", deleted: true, counter: 3)
        #expect(BackboneRecord.newest(of: [a, b, gone]).first?.deleted == true)
        #expect(throws: PlexusError.self) { try BackboneRecord.validate(["nmae": "x"]) }
        #expect(throws: PlexusError.self) { try BackboneRecord.validate(["metadata": "not an object"]) }
        #expect(try BackboneRecord.validate(["name": "n", "system_id": "s"]).keys.elementsEqual(["system_id", "name"]))
    }
}
