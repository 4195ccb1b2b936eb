import Testing
@testable import PlexusCore

@Suite struct PolicyExpressionParseTests {
    typealias Fixture = PolicyExpressionFixture

    @Test(arguments: [
        // (source, offset, part of the message)
        ("topic == \"abc", 9, "unterminated string"),
        ("topic == 'abc\n'", 9, "newline in string"),
        ("(topic == \"a\"", 13, "expected ')'"),
        ("size(tags", 9, "',' or ')'"),
        ("topic == \"a\" topic", 13, "after the end of the expression"),
        ("topic == \"a\")", 12, "after the end of the expression"),
        ("", 0, "unexpected end of input"),
        ("topic ==", 8, "unexpected end of input"),
        ("topic # 1", 6, "unexpected character '#'"),
        ("topic = \"a\"", 6, "use '=='"),
        ("flag & flag", 5, "use '&&'"),
        ("flag | flag", 5, "use '||'"),
        ("\"\\q\"", 1, "unknown escape"),
        ("\"\\u12\"", 1, "4 hexadecimal digits"),
        ("\"\\uD800\"", 1, "surrogate"),
        ("9223372036854775808", 0, "integer literal out of range"),
        ("-9223372036854775809", 1, "integer literal out of range"),
        ("1e999", 0, "double literal out of range"),
        ("1e", 0, "exponent needs digits"),
        ("12abc", 2, "after number"),
        ("topic.", 6, "expected a field or method name"),
        ("has(topic)", 0, "has() takes one field selection"),
        ("tags.exists(1, true)", 5, "exists takes a variable name and a predicate"),
        ("tags.all(t)", 5, "all takes a variable name"),
        ("flag ? 1", 8, "':' of the conditional"),
        ("{\"a\" 1}", 5, "':' after a map key"),
        ("[1, 2", 5, "',' or ']'"),
    ])
    func syntaxErrors(_ source: String, _ offset: Int, _ fragment: String) throws {
        let error = try #require(Fixture.compileError(source))
        #expect(error.kind == .syntax)
        #expect(error.offset == offset)
        #expect(error.message.contains(fragment), "\(error)")
    }

    @Test func descriptionNamesKindAndOffset() throws {
        let error = try #require(Fixture.compileError("topic == \"abc"))
        #expect(error.description == "syntax error at 9: unterminated string literal")
    }

    @Test func tenThousandParenthesesFailWithoutRecursingDeeply() throws {
        let source = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        let limits = PolicyExpressionLimits(maxSourceLength: 30_000)
        #expect {
            _ = try PolicyExpression(source, declarations: [:], limits: limits)
        } throws: { error in
            let error = error as! PolicyExpressionError
            return error.kind == .syntax && error.offset == 64 && error.message.contains("nests more than 64 levels")
        }
    }

    @Test(arguments: [
        String(repeating: "!", count: 1_000) + "flag",
        String(repeating: "-", count: 1_000) + "count",
        String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
        String(repeating: "{\"a\": ", count: 100) + "1" + String(repeating: "}", count: 100),
        "data" + String(repeating: ".x", count: 100),
        "data" + String(repeating: "[0]", count: 100),
        Array(repeating: "count", count: 100).joined(separator: " + "),
    ])
    func deepNestingIsASyntaxError(_ source: String) throws {
        let error = try #require(Fixture.compileError(source))
        #expect(error.kind == .syntax)
        #expect(error.message.contains("nests more than 64 levels"), "\(error)")
    }

    @Test func longLogicalChainsStayFlat() throws {
        let source = Array(repeating: "flag", count: 200).joined(separator: " && ")
        #expect(try Fixture.value(source) == true)
        let alternatives = (0..<150).map { "topic == \"t\($0)\"" }.joined(separator: " || ")
        #expect(try Fixture.value(alternatives) == false)
    }

    @Test func sourceLengthIsLimited() throws {
        let source = "\"" + String(repeating: "a", count: 4095) + "\""
        let error = try #require(Fixture.compileError(source))
        #expect(error.kind == .syntax)
        #expect(error.message == "expression is longer than 4096 characters")
        #expect(Fixture.compileError("\"" + String(repeating: "a", count: 4094) + "\"") == nil)
    }

    @Test func hugeLimitsDoNotOverflow() throws {
        let limits = PolicyExpressionLimits(maxSourceLength: .max, maxDepth: 64, maxNodes: .max)
        #expect(try PolicyExpression("1 + 1", declarations: [:], limits: limits).evaluate([:]) == .success(2))
    }

    @Test func nodeCountIsLimited() throws {
        let source = "[" + Array(repeating: "1", count: 1_100).joined(separator: ",") + "]"
        let error = try #require(Fixture.compileError(source))
        #expect(error.kind == .syntax)
        #expect(error.message == "expression has more than 1024 nodes")
    }

    @Test(arguments: [
        ("42", JSONValue.integer(42)),
        ("0x1F", .integer(31)),
        ("-9223372036854775808", .integer(.min)),
        ("9223372036854775807", .integer(.max)),
        ("1.5", .double(1.5)),
        ("1e3", .double(1000)),
        ("2.5E-1", .double(0.25)),
        ("-1.5", .double(-1.5)),
        ("\"a\\n\\t\\\\\\\"\\'b\"", .string("a\n\t\\\"'b")),
        ("'single \"quoted\"'", .string("single \"quoted\"")),
        ("\"\\u00e9\\U0001F600\"", .string("é😀")),
        ("r\"\\d+\"", .string("\\d+")),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("null", .null),
        ("[1, 'a', null,]", .array([1, "a", nil])),
        ("[]", .array([])),
        ("{\"k\": 1, 'j': [true],}", .object(["k": 1, "j": [true]])),
        ("{}", .object([:])),
        ("1 // a comment\n + 2", .integer(3)),
        ("  (  ( 7 ) )  ", .integer(7)),
    ])
    func literals(_ source: String, _ expected: JSONValue) throws {
        #expect(try Fixture.value(source) == expected)
    }

    @Test(arguments: [
        ("1 + 2 * 3", JSONValue.integer(7)),
        ("(1 + 2) * 3", .integer(9)),
        ("10 - 4 - 3", .integer(3)),
        ("100 / 10 / 5", .integer(2)),
        ("-2 * 3", .integer(-6)),
        ("- 2 * 3", .integer(-6)),
        ("!false && false", .bool(false)),
        ("true || false && false", .bool(true)),
        ("1 + 1 == 2 && 3 > 2", .bool(true)),
        ("false ? 1 : true ? 2 : 3", .integer(2)),
        ("true ? (false ? 1 : 2) : 3", .integer(2)),
        ("1 < 2 == true", .bool(true)),
        ("\"a\" + \"b\" in [\"ab\"]", .bool(true)),
        ("-[1, 2][0]", .integer(-1)),
        ("--1", .integer(1)),
    ])
    func precedence(_ source: String, _ expected: JSONValue) throws {
        #expect(try Fixture.value(source) == expected)
    }
}
