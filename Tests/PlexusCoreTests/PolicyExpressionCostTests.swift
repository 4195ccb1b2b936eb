import Testing
@testable import PlexusCore

@Suite struct PolicyExpressionCostTests {
    typealias Fixture = PolicyExpressionFixture

    static func bindings(tagCount: Int) -> [String: JSONValue] {
        var bindings = Fixture.bindings
        bindings["tags"] = .array((0..<tagCount).map { .string("t\($0)") })
        return bindings
    }

    @Test func eachNodeCostsOne() throws {
        #expect(try Fixture.cost("1 + 2") == 3)
        #expect(try Fixture.cost("flag && !flag") == 4)
        // comprehension 1 + range 1 + per element (1 + `s > 5`: 3) × 3
        #expect(try Fixture.cost("scores.exists(s, s > 5)") == 14)
    }

    @Test func stringOperationsCostByLength() throws {
        var bindings = Fixture.bindings
        bindings["text"] = .string(String(repeating: "x", count: 8_000))
        // 3 nodes + 8000/8+1 for the receiver + 1 for "a"
        #expect(try Fixture.cost("text.startsWith(\"a\")", bindings) == 1_005)
        #expect(try Fixture.evaluationError("text.startsWith(\"a\")", bindings, costLimit: 1_004)?.kind == .costExceeded)
        #expect(try Fixture.value("text.startsWith(\"a\")", bindings, costLimit: 1_005) == false)
    }

    @Test func bigExistsExceedsASmallLimit() throws {
        let bindings = Self.bindings(tagCount: 1_000)
        let source = "tags.exists(t, t == \"zzz\")"
        let error = try #require(try Fixture.evaluationError(source, bindings, costLimit: 50))
        #expect(error == PolicyExpressionError(.costExceeded, "evaluation needs more than the limit of 50 cost units"))
        #expect(error.description == "cost limit exceeded: evaluation needs more than the limit of 50 cost units")
        #expect(try Fixture.compile(source).evaluateCondition(bindings, costLimit: 50) == .failure(error))
        // 2 + 1000 × (1 + 3 nodes + 1 string comparison)
        #expect(try Fixture.cost(source, bindings) == 5_002)
        #expect(try Fixture.value(source, bindings) == false)
        #expect(try Fixture.value("tags.exists(t, t == \"t3\")", bindings, costLimit: 50) == true)
    }

    @Test func zeroAndNegativeLimitsRefuseEverything() throws {
        #expect(try Fixture.evaluationError("true", costLimit: 0)?.kind == .costExceeded)
        #expect(try Fixture.evaluationError("true", costLimit: -5)?.kind == .costExceeded)
        #expect(try Fixture.value("true", costLimit: 1) == true)
        #expect(try Fixture.value("count + 1", costLimit: .max) == 8)
    }

    @Test func concatenationIsChargedBeforeItAllocates() throws {
        var bindings = Fixture.bindings
        bindings["text"] = .string(String(repeating: "x", count: 100_000))
        #expect(try Fixture.evaluationError("size(text + text + text) > 0", bindings)?.kind == .costExceeded)
        bindings["tags"] = .array(Array(repeating: "t", count: 100_000))
        #expect(try Fixture.evaluationError("size(tags + tags) > 0", bindings)?.kind == .costExceeded)
    }

    @Test func catastrophicPatternIsBoundedByCost() throws {
        var bindings = Fixture.bindings
        bindings["text"] = .string(String(repeating: "a", count: 30) + "b")
        let source = #"text.matches("^(a+)+$")"#
        #expect(try Fixture.value(source, bindings) == false)
        bindings["text"] = .string(String(repeating: "a", count: 20_000) + "b")
        #expect(try Fixture.evaluationError(source, bindings)?.kind == .costExceeded)
        #expect(try Fixture.value(source, bindings, costLimit: 10_000_000) == false)
    }

    @Test func patternCompiledAtRuntimeCostsMore() throws {
        var bindings = Fixture.bindings
        bindings["source_subject_id"] = #"^finance\."#
        let literal = try Fixture.cost(#"topic.matches(r"^finance\.")"#, bindings)
        let runtime = try Fixture.cost("topic.matches(source_subject_id)", bindings)
        #expect(try Fixture.value("topic.matches(source_subject_id)", bindings) == true)
        // one more node, 10 to compile and 1 per byte of the 10-byte pattern
        #expect(runtime == literal + 1 + 10 + 10)
    }

    @Test func regexCostGrowsWithTheText() throws {
        var bindings = Fixture.bindings
        bindings["text"] = .string(String(repeating: "ab", count: 50))
        let short = try Fixture.cost(#"text.matches("b{2}")"#, bindings)
        bindings["text"] = .string(String(repeating: "ab", count: 500))
        let long = try Fixture.cost(#"text.matches("b{2}")"#, bindings)
        #expect(long > 9 * short)
    }
}
