/// A 64-bit hash that is the same in every process and on every machine (Swift's `Hasher` is
/// seeded per process, so it cannot be used for digests two nodes compare or for trace hashes a
/// rerun must reproduce). FNV-1a over the bytes, finished with a SplitMix64 avalanche so XOR-ing
/// many hashes (the anti-entropy digests) does not cancel structure.
public struct StableHash: Sendable {
    public private(set) var state: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    public mutating func combine(byte: UInt8) {
        state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    public mutating func combine(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { combine(byte: byte) }
    }

    public mutating func combine(_ string: String) {
        combine(string.utf8)
        combine(byte: 0xFF)  // separator: ("ab","c") and ("a","bc") differ
    }

    public mutating func combine(_ value: UInt64) {
        var v = value
        for _ in 0..<8 {
            combine(byte: UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    public var value: UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RandomNumberGenerator {
    /// A uniform integer in `0..<bound` (bound > 0), without modulo bias worth caring about here.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(truncatingIfNeeded: next() % UInt64(bound))
    }

    /// A uniform double in `0..<1`.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}

extension Array {
    /// Fisher–Yates with the caller's generator, so a seeded run shuffles the same way.
    public mutating func shuffleInPlace(using rng: inout some RandomNumberGenerator) {
        guard count > 1 else { return }
        for i in stride(from: count - 1, to: 0, by: -1) {
            swapAt(i, rng.nextInt(below: i + 1))
        }
    }
}
