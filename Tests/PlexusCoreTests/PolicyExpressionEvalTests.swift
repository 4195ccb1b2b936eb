import Testing
@testable import PlexusCore

@Suite struct PolicyExpressionEvalTests {
    typealias Fixture = PolicyExpressionFixture

    static let envelopeDeclarations: [String: PolicyType] = [
        "topic": .string, "destination_subject_ids": .list(.string), "source_subject_id": .string,
        "message_type": .string, "data": .dyn, "metadata": .map(.dyn),
    ]

    static func envelope(topic: String, destinations: [JSONValue]) -> [String: JSONValue] {
        [
            "topic": .string(topic), "destination_subject_ids": .array(destinations), "source_subject_id": "svc",
            "message_type": "payment.created", "data": ["amount": 10], "metadata": [:],
        ]
    }

    @Test func financePolicy() throws {
        let policy = try PolicyExpression(
            #"topic.startsWith("finance.") && !("auditor" in destination_subject_ids)"#,
            declarations: Self.envelopeDeclarations
        )
        #expect(policy.resultType == .bool)
        #expect(policy.evaluateCondition(Self.envelope(topic: "finance.payments", destinations: ["alice", "bob"])) == .success(true))
        #expect(policy.evaluateCondition(Self.envelope(topic: "finance.payments", destinations: ["alice", "auditor"])) == .success(false))
        #expect(policy.evaluateCondition(Self.envelope(topic: "hr.payroll", destinations: [])) == .success(false))
        #expect(policy.evaluateCondition(Self.envelope(topic: "finance", destinations: [])) == .success(false))
    }

    @Test(arguments: [
        ("7 / 2", JSONValue.integer(3)),
        ("-7 / 2", .integer(-3)),
        ("7 % 3", .integer(1)),
        ("-7 % 3", .integer(-1)),
        ("count - 10", .integer(-3)),
        ("-count", .integer(-7)),
        ("count * count", .integer(49)),
        ("1 + 0.5", .double(1.5)),
        ("7.0 / 2", .double(3.5)),
        ("2 * 3.0", .double(6)),
        ("ratio * 3", .double(1.5)),
        ("ratio - 1", .double(-0.5)),
        ("\"a\" + \"b\"", .string("ab")),
        ("topic + \"!\"", .string("finance.payments.eu!")),
        ("[1] + [\"x\"]", .array([1, "x"])),
        ("tags + [\"d\"]", .array(["a", "b", "c", "d"])),
        ("flag ? \"y\" : \"n\"", .string("y")),
        ("!flag ? \"y\" : \"n\"", .string("n")),
    ])
    func arithmeticAndConditional(_ source: String, _ expected: JSONValue) throws {
        #expect(try Fixture.value(source) == expected)
    }

    @Test(arguments: [
        ("1 == 1.0", true), ("1 != 2", true), ("1 != 1", false), ("null == null", true), ("null == 0", false),
        ("data.note == null", true), ("data.currency == 1", false), ("data.currency != 1", true),
        ("[1, 2] == [1, 2.0]", true), ("[1, 2] == [2, 1]", false), ("[1] != [1]", false),
        ("{\"a\": 1, \"b\": 2} == {\"b\": 2, \"a\": 1}", true), ("{\"a\": 1} == {\"a\": 2}", false),
        ("data.user == {\"name\": \"Ada\", \"roles\": [\"admin\", \"ops\"], \"age\": 36}", true),
        ("9007199254740993 == 9007199254740992.0", false), ("9007199254740993 > 9007199254740992.0", true),
        ("9223372036854775807 < 9223372036854775808.0", true), ("-9223372036854775808 == -9223372036854775808.0", true),
        ("1 < 2", true), ("2 <= 2", true), ("3 > 2.5", true), ("2 >= 3", false), ("2.5 < 3", true), ("-1 < -0.5", true),
        ("\"abc\" < \"abd\"", true), ("\"b\" > \"a\"", true), ("\"a\" >= \"a\"", true), ("\"a\" < \"A\"", false),
        ("\"alice\" in destination_subject_ids", true), ("\"carol\" in destination_subject_ids", false),
        ("\"priority\" in metadata", true), ("\"x\" in data", false), ("2 in [1, 2.0]", true), ("[1] in [[1], [2]]", true),
        ("\"admin\" in data.user.roles", true),
    ])
    func comparisons(_ source: String, _ expected: Bool) throws {
        #expect(try Fixture.value(source) == .bool(expected))
    }

    @Test func notANumberIsUnordered() throws {
        var bindings = Fixture.bindings
        bindings["ratio"] = .double(.nan)
        #expect(try Fixture.value("ratio == ratio", bindings) == false)
        #expect(try Fixture.value("ratio < 1.0 || ratio >= 1.0 || ratio < 1", bindings) == false)
    }

    @Test(arguments: [
        ("topic.startsWith(\"finance.\")", JSONValue.bool(true)),
        ("topic.startsWith(\"hr.\")", .bool(false)),
        ("topic.endsWith(\".eu\")", .bool(true)),
        ("topic.contains(\"payments\")", .bool(true)),
        ("topic.contains(\"\")", .bool(true)),
        ("topic.contains(\"pay.\")", .bool(false)),
        (#"topic.matches("^finance\\.[a-z]+\\.eu$")"#, .bool(true)),
        (#"topic.matches(r"^finance\.[a-z]+\.us$")"#, .bool(false)),
        (#"source_subject_id.matches("bill")"#, .bool(true)),
        ("topic.matches(message_type.size() > 0 ? \"pay\" : \"x\")", .bool(true)),
        ("size(\"héllo\")", .integer(5)),
        ("\"abc\".size()", .integer(3)),
        ("size(tags)", .integer(3)),
        ("tags.size()", .integer(3)),
        ("size(metadata)", .integer(2)),
        ("size(data.user.roles)", .integer(2)),
        ("size({})", .integer(0)),
        ("has(data.user)", .bool(true)),
        ("has(data.missing)", .bool(false)),
        ("has(data.user.email)", .bool(false)),
        ("has(data.note)", .bool(true)),
        ("has(metadata.priority)", .bool(true)),
        ("\"HeLLo-1\".lowerAscii()", .string("hello-1")),
        ("\"Äbc\".upperAscii()", .string("ÄBC")),
        ("int(\"-42\")", .integer(-42)),
        ("int(3.9)", .integer(3)),
        ("int(-3.9)", .integer(-3)),
        ("int(count)", .integer(7)),
        ("int(data.rate * 10)", .integer(2)),
        ("double(2)", .double(2)),
        ("double(\"1.5\")", .double(1.5)),
        ("double(ratio)", .double(0.5)),
        ("string(12)", .string("12")),
        ("string(-3)", .string("-3")),
        ("string(1.5)", .string("1.5")),
        ("string(true)", .string("true")),
        ("string(topic)", .string("finance.payments.eu")),
        ("string(data.amount) + \" \" + data.currency", .string("1250 EUR")),
    ])
    func functions(_ source: String, _ expected: JSONValue) throws {
        #expect(try Fixture.value(source) == expected)
    }

    @Test(arguments: [
        (#""e\u0301".startsWith("e")"#, true),
        (#""e\u0301".contains("\u0301")"#, true),
        (#""caf\u00e9".endsWith("e")"#, false),
        (#""aabaaabaaac".contains("aabaaac")"#, true),
        (#""aabaaabaaab".contains("aabaaac")"#, false),
        (#""finance.eu".endsWith("finance.eu")"#, true),
        (#""eu".endsWith("finance.eu")"#, false),
    ])
    func stringFunctionsCompareCodePoints(_ source: String, _ expected: Bool) throws {
        #expect(try Fixture.value(source) == .bool(expected))
    }

    /// `contains` against a naive search, over every short string of a two-letter alphabet.
    @Test func containsAgreesWithNaiveSearch() {
        func strings(upTo length: Int) -> [String] {
            var result = [""]
            var layer = [""]
            for _ in 0..<length {
                layer = layer.flatMap { [$0 + "a", $0 + "b"] }
                result += layer
            }
            return result
        }
        for haystack in strings(upTo: 7) {
            for needle in strings(upTo: 4) {
                let naive = needle.isEmpty || (0...max(0, haystack.count - needle.count)).contains { start in
                    haystack.count >= needle.count && haystack.dropFirst(start).hasPrefix(needle)
                }
                #expect(PolicyExpressionEvaluator.contains(Array(needle.utf8), in: haystack.utf8) == naive, "\(needle) in \(haystack)")
            }
        }
    }

    @Test(arguments: [
        ("tags.exists(t, t == \"b\")", true),
        ("tags.exists(t, t == \"z\")", false),
        ("scores.all(s, s > 0)", true),
        ("scores.all(s, s > 1)", false),
        ("scores.exists_one(s, s > 2)", true),
        ("scores.exists_one(s, s > 1)", false),
        ("metadata.exists(k, k == \"retries\")", true),
        ("{\"a\": 1}.all(k, k == \"a\")", true),
        ("[].all(x, false)", true),
        ("[].exists(x, true)", false),
        ("[[1, 2], [3]].exists(l, l.exists(x, x == 3))", true),
        ("[[1, 2], [3]].all(l, l.exists(x, x == 3))", false),
        ("data.items.exists(i, i.sku.startsWith(\"B\") && i.qty == 0)", true),
        ("data.items.all(i, i.qty > 0)", false),
        ("tags.exists(t, t == \"a\" || data.missing)", true),
    ])
    func macros(_ source: String, _ expected: Bool) throws {
        #expect(try Fixture.value(source) == .bool(expected))
    }

    @Test(arguments: [
        ("data.user.name == \"Ada\"", JSONValue.bool(true)),
        ("data.user.roles[0]", .string("admin")),
        ("data[\"items\"][1][\"sku\"]", .string("B2")),
        ("data.items[0].qty + data.items[1].qty", .integer(2)),
        ("data.amount > 1000", .bool(true)),
        ("data.rate * 4 == 1.0", .bool(true)),
        ("metadata.retries + 1", .integer(4)),
        ("metadata[\"priority\"]", .string("high")),
        ("data.user.age >= 18 && data.currency in [\"EUR\", \"USD\"]", .bool(true)),
        ("data.user", .object(["name": "Ada", "roles": ["admin", "ops"], "age": 36])),
    ])
    func dynamicAccess(_ source: String, _ expected: JSONValue) throws {
        #expect(try Fixture.value(source) == expected)
    }

    @Test(arguments: [
        ("false && data.missing == 1", JSONValue.bool(false)),
        ("true || data.missing == 1", .bool(true)),
        ("flag ? 1 : 1 / 0", .integer(1)),
        ("!flag && 1 / 0 == 1", .bool(false)),
    ])
    func shortCircuit(_ source: String, _ expected: JSONValue) throws {
        #expect(try Fixture.value(source) == expected)
    }

    @Test(arguments: [
        // (source, offset, exact message)
        ("data.missing == 1", 5, "no such key 'missing'"),
        ("data.missing == 1 || true", 5, "no such key 'missing'"),
        ("data.user[\"email\"]", 9, "no such key 'email'"),
        ("data[0]", 4, "cannot index map with int"),
        ("data.user.name + 1", 15, "'+' cannot be applied to string and int"),
        ("!data.user.name", 0, "'!' expects bool, got string"),
        ("data.amount && true", 5, "'&&' expects bool, got int"),
        ("data.amount.x", 12, "cannot select field 'x' on int"),
        ("has(data.user.name.first)", 0, "has() cannot test field 'first' on string"),
        ("data.user.age.startsWith(\"x\")", 14, "startsWith needs a string receiver, got int"),
        ("size(data.amount)", 0, "size expects a string, list or map, got int"),
        ("data.amount.exists(x, true)", 12, "exists needs a list or map, got int"),
        ("data.items.all(i, i.sku)", 20, "'all' expects bool, got string"),
        ("1 / 0", 2, "division by zero"),
        ("count % 0", 6, "modulus by zero"),
        ("count / (count - 7)", 6, "division by zero"),
        ("1.0 / 0.0", 4, "'/' produced a double that is not finite"),
        ("9223372036854775807 + 1", 20, "integer overflow in '+'"),
        ("-9223372036854775808 - 1", 21, "integer overflow in '-'"),
        ("9223372036854775807 * 2", 20, "integer overflow in '*'"),
        ("-9223372036854775808 / -1", 21, "integer overflow in '/'"),
        ("-9223372036854775808 % -1", 21, "integer overflow in '%'"),
        ("-(-9223372036854775808)", 0, "integer overflow in '-'"),
        ("data.amount * 9223372036854775807", 12, "integer overflow in '*'"),
        ("scores[3]", 6, "list index 3 out of range (size 3)"),
        ("scores[-1]", 6, "list index -1 out of range (size 3)"),
        ("{\"a\": 1, \"a\": 2}", 9, "duplicate map key 'a'"),
        ("int(\"abc\")", 0, "cannot convert 'abc' to int"),
        ("int(1e19)", 0, "double 1e+19 is out of int range"),
        ("double(\"nan\")", 0, "cannot convert 'nan' to a finite double"),
        ("topic.matches(data.currency + \"(\")", 6, "invalid regular expression: missing ')'"),
    ])
    func evaluationErrors(_ source: String, _ offset: Int, _ message: String) throws {
        let error = try #require(try Fixture.evaluationError(source))
        #expect(error == PolicyExpressionError(.evaluation, message, offset: offset))
    }

    @Test func bindingsMustMatchTheirDeclarations() throws {
        var wrong = Fixture.bindings
        wrong["topic"] = 5
        #expect(try Fixture.evaluationError("topic == \"x\"", wrong)
            == PolicyExpressionError(.evaluation, "variable 'topic' is declared string but bound to int", offset: 0))
        var missing = Fixture.bindings
        missing["topic"] = nil
        #expect(try Fixture.evaluationError("topic == \"x\"", missing)
            == PolicyExpressionError(.evaluation, "no value bound for variable 'topic'", offset: 0))
        // Unread bindings are never inspected; an int may stand for a declared double.
        #expect(try Fixture.value("count == 7", missing) == true)
        var widened = Fixture.bindings
        widened["ratio"] = 2
        #expect(try Fixture.value("ratio * 2 == 4", widened) == true)
    }

    @Test func conditionMustBeBool() throws {
        let expression = try Fixture.compile("data.amount")
        #expect(expression.evaluateCondition(Fixture.bindings)
            == .failure(PolicyExpressionError(.evaluation, "condition yielded int, not bool", offset: 0)))
        #expect(try Fixture.compile("data.amount > 1").evaluateCondition(Fixture.bindings) == .success(true))
    }
}
