/// An incrementally maintained set digest for anti-entropy: 256 leaf hashes, each the XOR of the
/// hashes of the items that fall in it. Adding or removing an item is O(1); the root and the
/// bucket hashes for any power-of-two bucket count up to 256 are folds of the leaves, so a round
/// where nothing differs costs one 8-byte root, whatever the size of the mesh.
public struct DigestLeaves: Sendable, Equatable {
    public static let leafCount = 256
    public private(set) var leaves = [UInt64](repeating: 0, count: leafCount)
    public private(set) var root: UInt64 = 0
    public private(set) var count = 0

    public init() {}

    public static func leaf(of keyHash: UInt64) -> Int { Int(truncatingIfNeeded: keyHash >> 56) }

    public mutating func insert(keyHash: UInt64, itemHash: UInt64) {
        leaves[Self.leaf(of: keyHash)] ^= itemHash
        root ^= itemHash
        count += 1
    }

    public mutating func remove(keyHash: UInt64, itemHash: UInt64) {
        leaves[Self.leaf(of: keyHash)] ^= itemHash
        root ^= itemHash
        count -= 1
    }

    /// Bucket `b` of `bucketCount` holds leaves `l` with `l % bucketCount == b`.
    public func buckets(_ bucketCount: Int) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: bucketCount)
        for (l, h) in leaves.enumerated() { out[l % bucketCount] ^= h }
        return out
    }

    public static func bucket(ofKeyHash keyHash: UInt64, count bucketCount: Int) -> Int {
        leaf(of: keyHash) % bucketCount
    }

    /// The bucket count an initiator proposes: about eight items per bucket, 16…256.
    public static func bucketCount(forItems items: Int) -> Int {
        var c = 16
        while c < leafCount, c * 8 < items { c *= 2 }
        return c
    }
}
