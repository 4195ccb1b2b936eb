import Testing

@testable import PlexusCore

/// The original `policy_input_schema` format: each rule passing and failing, strict compilation,
/// and the per-field API human-in-the-loop forms use.
@Suite("Original templates")
struct OriginalTemplateTests {
    typealias T = MessageTemplateTestSupport

    /// A one-field template `{"policy_input_schema": {"f": <rules>}}` applied to `{"f": <value>}`.
    private func field(_ rules: String, _ value: String) throws -> [String] {
        try T.outcomes(#"{"policy_input_schema": {"f": \#(rules)}}"#, #"{"f": \#(value)}"#)
    }

    private func refusal(_ rules: String) throws -> MessageTemplateError? {
        try T.refusal(#"{"policy_input_schema": {"f": \#(rules)}}"#)
    }

    @Test func types() throws {
        let cases: [(type: String, valid: [String], invalid: [String])] = [
            ("string", [#""a""#], ["1", "null"]),
            ("number", ["1", "1.5", "-0"], [#""1""#, "true"]),
            ("boolean", ["true", "false"], ["0", #""true""#]),
            ("array", ["[]", "[1]"], ["{}", #""[]""#]),
            ("object", ["{}", #"{"a": 1}"#], ["[]", "null"]),
            ("any", ["null", "1", #""x""#, "[]", "{}"], []),
        ]
        for (type, valid, invalid) in cases {
            for value in valid {
                #expect(try field(#"{"type": "\#(type)"}"#, value) == [], "\(type) \(value)")
            }
            for value in invalid {
                #expect(try field(#"{"type": "\#(type)"}"#, value) == ["/f|type|/policy_input_schema/f/type"], "\(type) \(value)")
            }
        }
    }

    @Test func enumComparesAsJSON() throws {
        #expect(try field(#"{"enum": ["a", 1]}"#, #""a""#) == [])
        #expect(try field(#"{"enum": ["a", 1]}"#, "1.0") == [])
        #expect(try field(#"{"enum": ["a", 1]}"#, #""b""#) == ["/f|enum|/policy_input_schema/f/enum"])
    }

    @Test func stringRules() throws {
        let rules = #"{"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"}"#
        #expect(try field(rules, #""abc""#) == [])
        #expect(try field(rules, #""a""#) == ["/f|minLength|/policy_input_schema/f/minLength"])
        #expect(try field(rules, #""abcde""#) == ["/f|maxLength|/policy_input_schema/f/maxLength"])
        #expect(try field(rules, #""ab1""#) == ["/f|pattern|/policy_input_schema/f/pattern"])
        #expect(try field(rules, #""A""#) == [
            "/f|minLength|/policy_input_schema/f/minLength", "/f|pattern|/policy_input_schema/f/pattern",
        ])
        #expect(try field(#"{"maxLength": 1}"#, #""\u00e9""#) == [])  // code points, not bytes
    }

    @Test func numberRules() throws {
        let inclusive = #"{"type": "number", "minimum": 1, "maximum": 10}"#
        #expect(try field(inclusive, "1") == [])
        #expect(try field(inclusive, "10.0") == [])
        #expect(try field(inclusive, "0.5") == ["/f|minimum|/policy_input_schema/f/minimum"])
        #expect(try field(inclusive, "11") == ["/f|maximum|/policy_input_schema/f/maximum"])
        let exclusive = #"{"type": "number", "exclusiveMinimum": 1, "exclusiveMaximum": 10.5}"#
        #expect(try field(exclusive, "1.5") == [])
        #expect(try field(exclusive, "1") == ["/f|exclusiveMinimum|/policy_input_schema/f/exclusiveMinimum"])
        #expect(try field(exclusive, "10.5") == ["/f|exclusiveMaximum|/policy_input_schema/f/exclusiveMaximum"])
    }

    @Test func arrayRules() throws {
        let rules = #"{"type": "array", "minItems": 1, "maxItems": 3, "uniqueItems": true}"#
        #expect(try field(rules, "[1, 2]") == [])
        #expect(try field(rules, "[]") == ["/f|minItems|/policy_input_schema/f/minItems"])
        #expect(try field(rules, "[1, 2, 3, 4]") == ["/f|maxItems|/policy_input_schema/f/maxItems"])
        #expect(try field(rules, "[1, 1.0]") == ["/f|uniqueItems|/policy_input_schema/f/uniqueItems"])
        #expect(try field(#"{"uniqueItems": false}"#, "[1, 1]") == [])
    }

    @Test func itemRules() throws {
        let template = try T.template(##"{"policy_input_schema": {"tags": {"type": "array", "items": {"type": "string", "pattern": "^#"}}}}"##)
        #expect(try T.outcomes(template, ##"{"tags": ["#a", "#b"]}"##) == [])
        #expect(try T.outcomes(template, ##"{"tags": ["#a", 2, "c"]}"##) == [
            "/tags/1|type|/policy_input_schema/tags/items/type", "/tags/2|pattern|/policy_input_schema/tags/items/pattern",
        ])
    }

    @Test func missingFieldsAreRequiredAndExtraFieldsAllowed() throws {
        let template = try T.template(#"{"policy_input_schema": {"a": {"type": "string"}, "b": {}}}"#)
        #expect(try T.outcomes(template, #"{"a": "x", "b": null, "extra": [1]}"#) == [])
        let violations = template.validate(try T.json(#"{"b": 1}"#))
        #expect(violations.map(\.compact) == ["/a|required|/policy_input_schema/a"])
        #expect(violations.first?.message == #"missing required field "a""#)
    }

    @Test func dataMustBeAnObject() throws {
        #expect(try T.outcomes(#"{"policy_input_schema": {"a": {}}}"#, "[1]") == ["|type|/policy_input_schema"])
    }

    @Test func aWrongTypeIsOneViolation() throws {
        #expect(try field(#"{"type": "string", "minLength": 5, "enum": ["abcdef"]}"#, "3") == ["/f|type|/policy_input_schema/f/type"])
        #expect(try field(#"{"minLength": 5}"#, "3") == [])  // untyped: string rules skip other kinds
    }

    @Test func unknownRulesAreRefused() throws {
        let typo = try #require(try refusal(#"{"type": "string", "maxlength": 3}"#))
        #expect(typo.code == .unknownRule)
        #expect(typo.pointer == "/policy_input_schema/f/maxlength")
        #expect(typo.message.contains("maxlength"))
        let itemTypo = try #require(try refusal(#"{"items": {"type": "string", "minLength": 1}}"#))
        #expect(itemTypo.code == .unknownRule)
        #expect(itemTypo.pointer == "/policy_input_schema/f/items/minLength")
    }

    @Test func badRuleValuesAreRefused() throws {
        let expectations: [(rules: String, code: MessageTemplateError.Code, pointer: String)] = [
            (#"{"type": "strng"}"#, .invalidValue, "/policy_input_schema/f/type"),
            (#"{"type": "integer"}"#, .invalidValue, "/policy_input_schema/f/type"),
            (#"{"minLength": -1}"#, .invalidValue, "/policy_input_schema/f/minLength"),
            (#"{"maxItems": "3"}"#, .invalidValue, "/policy_input_schema/f/maxItems"),
            (#"{"exclusiveMinimum": true}"#, .invalidValue, "/policy_input_schema/f/exclusiveMinimum"),
            (#"{"maximum": "10"}"#, .invalidValue, "/policy_input_schema/f/maximum"),
            (#"{"uniqueItems": 1}"#, .invalidValue, "/policy_input_schema/f/uniqueItems"),
            (#"{"enum": []}"#, .invalidValue, "/policy_input_schema/f/enum"),
            (#"{"pattern": "("}"#, .invalidPattern, "/policy_input_schema/f/pattern"),
            (#"{"items": {"pattern": "["}}"#, .invalidPattern, "/policy_input_schema/f/items/pattern"),
            (#"{"items": {"type": "strng"}}"#, .invalidValue, "/policy_input_schema/f/items/type"),
            (#"{"items": "string"}"#, .invalidValue, "/policy_input_schema/f/items"),
            (#""string""#, .invalidValue, "/policy_input_schema/f"),
        ]
        for (rules, code, pointer) in expectations {
            let error = try refusal(rules)
            #expect(error?.code == code, "\(rules)")
            #expect(error?.pointer == pointer, "\(rules)")
        }
        #expect(try T.refusal(#"{"policy_input_schema": [1]}"#)?.pointer == "/policy_input_schema")
    }

    @Test func perFieldAPIForForms() throws {
        let template = try OriginalTemplate(
            try T.json(
                #"""
                {"policy_input_schema": {"name": {"type": "string", "minLength": 1},
                                         "age": {"type": "number", "minimum": 0}, "ok": {"type": "boolean"}}}
                """#))
        let name = try #require(template.fields.first)
        #expect(name.name == "name")
        #expect(name.type == .string)
        #expect(name.minLength == 1)
        #expect(template.fields[1].minimum == 0)

        let grouped = template.violationsByField(try T.json(#"{"name": "", "age": -1, "ok": true}"#))
        #expect(Array(grouped.keys) == ["name", "age"])
        #expect(grouped["name"]?.map(\.rule) == ["minLength"])
        #expect(grouped["age"]?.map(\.compact) == ["/age|minimum|/policy_input_schema/age/minimum"])
        #expect(template.violationsByField(.array([]))[""]?.map(\.rule) == ["type"])

        #expect(template.validate(field: "age", value: 3) == [])
        #expect(template.validate(field: "age", value: "3").map(\.rule) == ["type"])
        #expect(template.validate(field: "age", value: nil).map(\.rule) == ["required"])
        #expect(template.validate(field: "unlisted", value: nil) == [])
    }

    @Test func violationsAreCapped() throws {
        let template = try T.template(#"{"policy_input_schema": {"tags": {"items": {"type": "string"}}}}"#)
        let violations = template.validate(["tags": .array((0..<100).map { .integer($0) })])
        #expect(violations.count == MessageTemplate.maxViolations)
        #expect(violations.last?.pointer == "/tags/31")
    }
}
