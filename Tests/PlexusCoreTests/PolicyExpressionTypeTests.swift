import Testing
@testable import PlexusCore

@Suite struct PolicyExpressionTypeTests {
    typealias Fixture = PolicyExpressionFixture

    @Test(arguments: [
        // (source, offset, exact message)
        ("topic + 1", 6, "'+' cannot add string and int"),
        ("topic.startsWith(1)", 17, "startsWith expects a string argument, got int"),
        ("data.x.startsWith(1)", 18, "startsWith expects a string argument, got int"),
        ("count.startsWith(\"a\")", 0, "startsWith needs a string receiver, got int"),
        ("!topic", 0, "'!' expects bool, got string"),
        ("-topic", 0, "'-' expects int or double, got string"),
        ("size(true)", 5, "size expects a string, list or map, got bool"),
        ("topic.foo()", 6, "unknown method 'foo'"),
        ("foo(1)", 0, "unknown function 'foo'"),
        ("startsWith(topic, \"a\")", 0, "startsWith is a method: call it as value.startsWith(...)"),
        ("topic.int()", 6, "int is a function, not a method: call it as int(value)"),
        ("topic.startsWith(\"a\", \"b\")", 6, "startsWith takes 1 argument, got 2"),
        ("size()", 0, "size takes 1 argument, got 0"),
        ("topic.size(1)", 6, "size takes 0 arguments, got 1"),
        ("topic.lowerAscii(1)", 6, "lowerAscii takes 0 arguments, got 1"),
        ("unknown_var == 1", 0, "undeclared variable 'unknown_var'"),
        ("tags.exists(t, true) && t == \"a\"", 24, "undeclared variable 't'"),
        ("topic == 1", 6, "'==' cannot compare string and int"),
        ("tags == metadata", 5, "'==' cannot compare list(string) and map(dyn)"),
        ("count && flag", 0, "'&&' expects bool operands, got int"),
        ("flag || topic", 8, "'||' expects bool operands, got string"),
        ("count ? 1 : 2", 0, "condition of '?:' must be bool, got int"),
        ("topic.matches(\"(\")", 14, "invalid regular expression: missing ')'"),
        ("topic.matches(\"a**\")", 14, "invalid regular expression: bad repetition operator at 2"),
        ("topic.x", 6, "cannot select field 'x' on string"),
        ("has(topic.x)", 0, "cannot select field 'x' on string"),
        ("tags[\"a\"]", 5, "list index must be int, got string"),
        ("metadata[1]", 9, "map key must be string, got int"),
        ("data[true]", 5, "index must be int or string, got bool"),
        ("topic[0]", 5, "cannot index a value of type string"),
        ("1 in topic", 2, "'in' needs a list or map on the right, got string"),
        ("1 in tags", 2, "'in' cannot look for int in list(string)"),
        ("1 in metadata", 2, "'in' on a map needs a string key, got int"),
        ("count % 1.5", 6, "'%' cannot take the remainder of int and double"),
        ("topic - \"a\"", 6, "'-' cannot combine string and string"),
        ("flag + flag", 5, "'+' cannot add bool and bool"),
        ("topic < 1", 6, "'<' cannot order string and int"),
        ("flag < true", 5, "'<' cannot order bool and bool"),
        ("{1: 2}", 1, "map keys must be strings, got int"),
        ("tags.exists(t, t)", 15, "exists predicate must be bool, got string"),
        ("topic.exists(c, true)", 6, "exists needs a list or map, got string"),
        ("int(tags)", 4, "int() cannot convert list(string)"),
        ("double(flag)", 7, "double() cannot convert bool"),
    ])
    func typeErrors(_ source: String, _ offset: Int, _ message: String) throws {
        let error = try #require(Fixture.compileError(source))
        #expect(error == PolicyExpressionError(.type, message, offset: offset))
    }

    @Test func errorDescription() throws {
        let error = try #require(Fixture.compileError("topic.startsWith(1)"))
        #expect(error.description == "type error at 17: startsWith expects a string argument, got int")
    }

    @Test(arguments: [
        ("topic", PolicyType.string),
        ("count + 1", .int),
        ("count / 2", .int),
        ("count + ratio", .double),
        ("-ratio", .double),
        ("data.x", .dyn),
        ("data.x + 1", .dyn),
        ("data.x == 1", .bool),
        ("metadata", .map(.dyn)),
        ("metadata.priority", .dyn),
        ("metadata[\"k\"]", .dyn),
        ("[1, 2]", .list(.int)),
        ("[1, \"a\"]", .list(.dyn)),
        ("[]", .list(.dyn)),
        ("[[1]]", .list(.list(.int))),
        ("{\"a\": 1}", .map(.int)),
        ("{\"a\": [1], \"b\": [\"x\"]}", .map(.list(.dyn))),
        ("tags + tags", .list(.string)),
        ("tags[0]", .string),
        ("size(tags)", .int),
        ("flag ? 1 : 2", .int),
        ("flag ? 1 : \"a\"", .dyn),
        ("int(\"1\")", .int),
        ("string(1)", .string),
        ("topic.lowerAscii()", .string),
        ("topic.matches(\"a\")", .bool),
        ("tags.all(t, t != \"\")", .bool),
        ("has(data.x)", .bool),
        ("null", .null),
        ("data.x == null && topic != null", .bool),
    ])
    func resultTypes(_ source: String, _ type: PolicyType) throws {
        #expect(try Fixture.compile(source).resultType == type)
    }

    @Test func typeDescriptions() {
        #expect(PolicyType.list(.map(.dyn)).description == "list(map(dyn))")
        #expect(PolicyType.map(.list(.string)).description == "map(list(string))")
    }

    @Test func conditionOnNonBoolExpressionIsATypeError() throws {
        let result = try Fixture.compile("count + 1").evaluateCondition(Fixture.bindings)
        #expect(result == .failure(PolicyExpressionError(.type, "condition must be bool, but the expression yields int", offset: 0)))
    }

    @Test func comprehensionVariableShadowsDeclaration() throws {
        let expression = try Fixture.compile("tags.exists(topic, topic == \"c\")")
        #expect(expression.resultType == .bool)
        #expect(try expression.evaluate(Fixture.bindings).get() == true)
    }

    @Test func declarationsAreTheOnlyNames() throws {
        let error = try #require(Fixture.compileError("topic", declarations: [:]))
        #expect(error == PolicyExpressionError(.type, "undeclared variable 'topic'", offset: 0))
    }
}
