@testable import PlexusNode
import Testing

@Suite struct BufferedSystemRandomTests {
    /// Past several refills, no word repeats (64 random bits: a repeat among 5,000 has odds of
    /// about 1e-12), so a buffer handed out twice, or never refilled, fails.
    @Test func wordsAcrossRefillsDoNotRepeat() {
        var rng = BufferedSystemRandom()
        let count = BufferedSystemRandom.words * 10
        let words = (0..<count).map { _ in rng.next() }
        #expect(Set(words).count == count)
    }

    /// Two generators draw different streams, and the bits are balanced: over 10,000 words the
    /// mean number of set bits is 32 within 0.5 (its standard deviation is 0.04).
    @Test func generatorsAreIndependentAndBitsBalanced() {
        var a = BufferedSystemRandom()
        var b = BufferedSystemRandom()
        let first = (0..<64).map { _ in a.next() }
        let second = (0..<64).map { _ in b.next() }
        #expect(Set(first).isDisjoint(with: second))
        let bits = (0..<10_000).reduce(0) { sum, _ in sum + a.next().nonzeroBitCount }
        #expect(abs(Double(bits) / 10_000 - 32) < 0.5)
    }
}
