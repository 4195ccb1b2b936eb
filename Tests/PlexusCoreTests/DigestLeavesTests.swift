import Testing
@testable import PlexusCore

@Suite struct DigestLeavesTests {
    /// (keyHash, itemHash) pairs spread over the leaves.
    static let items: [(UInt64, UInt64)] = (0..<200).map { i in
        var k = StableHash()
        k.combine("key-\(i)")
        var v = StableHash()
        v.combine(k.value)
        v.combine(UInt64(i))
        return (k.value, v.value)
    }

    @Test func insertThenRemoveRestoresTheEmptyDigest() {
        var d = DigestLeaves()
        for (k, v) in Self.items { d.insert(keyHash: k, itemHash: v) }
        #expect(d.count == Self.items.count)
        #expect(d.root != 0)
        for (k, v) in Self.items.reversed() { d.remove(keyHash: k, itemHash: v) }
        #expect(d == DigestLeaves())
        #expect(d.root == 0 && d.count == 0)
    }

    @Test func orderDoesNotMatter() {
        var a = DigestLeaves()
        var b = DigestLeaves()
        for (k, v) in Self.items { a.insert(keyHash: k, itemHash: v) }
        var rng = SplitMix64(seed: 3)
        var shuffled = Self.items
        shuffled.shuffleInPlace(using: &rng)
        for (k, v) in shuffled { b.insert(keyHash: k, itemHash: v) }
        #expect(a == b)
        // Removing one item from a differs in exactly its leaf.
        let (k, v) = Self.items[17]
        a.remove(keyHash: k, itemHash: v)
        let differing = (0..<DigestLeaves.leafCount).filter { a.leaves[$0] != b.leaves[$0] }
        #expect(differing == [DigestLeaves.leaf(of: k)])
        #expect(a.root ^ b.root == v)
    }

    @Test(arguments: [1, 2, 4, 16, 32, 64, 128, 256])
    func bucketsFoldTheLeavesAndXorToTheRoot(_ count: Int) {
        var d = DigestLeaves()
        for (k, v) in Self.items { d.insert(keyHash: k, itemHash: v) }
        let buckets = d.buckets(count)
        #expect(buckets.count == count)
        #expect(buckets.reduce(0, ^) == d.root)
        // Every item lands in the bucket `bucket(ofKeyHash:count:)` names.
        var expected = [UInt64](repeating: 0, count: count)
        for (k, v) in Self.items { expected[DigestLeaves.bucket(ofKeyHash: k, count: count)] ^= v }
        #expect(buckets == expected)
        // Halving the count folds bucket b + count/2 into b.
        if count > 1 {
            let half = d.buckets(count / 2)
            #expect((0..<count / 2).allSatisfy { half[$0] == buckets[$0] ^ buckets[$0 + count / 2] })
        }
    }

    @Test func bucketsAt256AreTheLeaves() {
        var d = DigestLeaves()
        for (k, v) in Self.items { d.insert(keyHash: k, itemHash: v) }
        #expect(d.buckets(DigestLeaves.leafCount) == d.leaves)
        #expect(DigestLeaves.leaf(of: 0xAB00_0000_0000_0000) == 0xAB)
    }

    @Test(arguments: [(0, 16), (1, 16), (128, 16), (129, 32), (256, 32), (257, 64), (1_024, 128), (2_048, 256), (1_000_000, 256)])
    func bucketCountForItems(_ items: Int, _ expected: Int) {
        let c = DigestLeaves.bucketCount(forItems: items)
        #expect(c == expected)
        #expect(c >= 16 && c <= DigestLeaves.leafCount && c & (c - 1) == 0)
        #expect(MeshCore.validBucketCount(UInt16(c)) == c)
    }
}
