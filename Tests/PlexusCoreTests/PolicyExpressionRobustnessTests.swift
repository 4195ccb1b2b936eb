import Testing
@testable import PlexusCore

@Suite struct PolicyExpressionRobustnessTests {
    typealias Fixture = PolicyExpressionFixture

    static let fragments = [
        "topic", "tags", "data", "metadata", "count", "ratio", "flag", "scores", "t", "1", "0", "-1", "2.5", "\"a\"",
        "'b'", "null", "true", "(", ")", "[", "]", "{", "}", ",", ":", ".", "?", "+", "-", "*", "/", "%", "!",
        "==", "!=", "<", ">=", "&&", "||", "in", "size", "has", "exists", "all", "startsWith", "matches", "x",
        "9223372036854775807", "\"(a+)+\"", "int", "string",
    ]

    /// Random token soup, 5,000 seeded cases: every one compiles or fails with an error, and every
    /// one that compiles evaluates to a value or an error. Nothing traps.
    @Test func randomSourcesNeverTrap() {
        var rng = SplitMix64(seed: 0x5EED)
        var compiled = 0
        for _ in 0..<5_000 {
            let length = Int.random(in: 1...10, using: &rng)
            let source = (0..<length).map { _ in Self.fragments.randomElement(using: &rng)! }.joined(separator: " ")
            guard let expression = try? Fixture.compile(source) else { continue }
            compiled += 1
            switch expression.evaluate(Fixture.bindings, costLimit: 1_000) {
            case .success, .failure: break
            }
        }
        #expect(compiled > 100, "only \(compiled) of the random sources compiled")
    }
}
