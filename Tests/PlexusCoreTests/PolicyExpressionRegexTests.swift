import Testing
@testable import PlexusCore

@Suite struct PolicyExpressionRegexTests {
    static func matches(_ pattern: String, _ text: String) throws -> Bool? {
        var steps = 0
        return try PolicyExpressionRegex(pattern).matches(text, budget: .max, steps: &steps)
    }

    @Test(arguments: [
        ("abc", "xxabcxx", true), ("abc", "abd", false), ("^abc$", "abc", true), ("^abc$", "abcd", false),
        ("a.c", "abc", true), ("a.c", "a\nc", false), ("[a-c]+", "zzb", true), ("[a-c]", "xyz", false),
        ("^[^0-9]+$", "abc", true), ("^[^0-9]+$", "ab1", false), (#"\d{3}-\d{4}"#, "call 555-1234", true),
        (#"^\d{3}$"#, "12", false), ("colou?r", "color", true), ("colou?r", "colouur", false),
        ("^(foo|bar)+$", "foobarfoo", true), ("^(foo|bar)+$", "foobaz", false), ("^a{2,3}$", "aaaa", false),
        ("^a{2,3}$", "aaa", true), ("^a{2,}$", "aaaa", true), ("^a{2,}$", "a", false), ("^(?:ab)*$", "", true),
        ("^(?:ab)*$", "aba", false), (#"\."#, "a.b", true), (#"\."#, "ab", false),
        (#"^\w+@\w+\.com$"#, "ada@example.com", true), (#"^\w+@\w+\.com$"#, "ada@example.org", false),
        ("^$", "", true), ("^$", "x", false), ("(a*)*b", "aaaa", false), ("(a*)*b", "aaab", true),
        (#"^[\d\s]+$"#, "1 2 3", true), (#"^[\D]+$"#, "abc", true), (#"^\S+$"#, "a b", false),
        ("[]a]", "]", true), ("x{", "x{", true), ("é", "café", true), ("^.$", "é", true), ("^caf.$", "café", true),
        ("a|", "zzz", true), (#"\Aab\z"#, "ab", true), (#"\Aab\z"#, "abc", false), ("^a+?$", "aaa", true),
        ("[-a]", "-", true), ("[a-]", "-", true), (#"[\]]"#, "]", true), ("b$", "ab", true), ("b$", "ba", false),
    ])
    func matching(_ pattern: String, _ text: String, _ expected: Bool) throws {
        #expect(try Self.matches(pattern, text) == expected, "\(pattern) on \(text)")
    }

    @Test(arguments: [
        ("(", "missing ')'"), (")", "unmatched ')'"), ("[a", "missing ']'"), ("a**", "bad repetition operator"),
        ("*a", "missing argument to repetition operator"), (#"\b"#, "unsupported escape"), (#"\1"#, "unsupported escape"),
        ("(?i)a", "only (?:...) groups"), ("a{1001}", "repeat count larger than 1000"), ("a{3,2}", "backwards"),
        ("[z-a]", "backwards"), (#"[a-\d]"#, "cannot end a range"), ("(a{1000}){3}", "too complex"), ("a\\", "trailing"),
        (String(repeating: "(", count: 33) + "a" + String(repeating: ")", count: 33), "groups nest deeper than 32"),
        (String(repeating: "a", count: 1_025), "longer than 1024"),
    ])
    func invalidPatterns(_ pattern: String, _ fragment: String) {
        #expect {
            _ = try PolicyExpressionRegex(pattern)
        } throws: { error in
            let error = error as! PolicyExpressionError
            return error.kind == .type && error.message.hasPrefix("invalid regular expression: ") && error.message.contains(fragment)
        }
    }

    @Test func nestedQuantifiersRunInLinearTime() throws {
        let regex = try PolicyExpressionRegex("(a+)+$")
        let text = String(repeating: "a", count: 10_000) + "b"
        var steps = 0
        #expect(regex.matches(text, budget: .max, steps: &steps) == false)
        #expect(steps <= 10_002 * regex.program.count * 2)
        #expect(regex.matches(text, budget: 1_000, steps: &steps) == nil)
    }

    @Test func anchoredPatternStopsEarly() throws {
        let regex = try PolicyExpressionRegex("^ab")
        var steps = 0
        #expect(regex.matches(String(repeating: "x", count: 10_000), budget: .max, steps: &steps) == false)
        #expect(steps < 10)
    }
}
