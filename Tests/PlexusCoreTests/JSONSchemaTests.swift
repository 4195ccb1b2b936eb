import Testing

@testable import PlexusCore

/// JSON Schema keywords (draft 2020-12), each passing and failing, with exact pointers and rules.
@Suite("JSON Schema keywords")
struct JSONSchemaTests {
    typealias T = MessageTemplateTestSupport

    @Test func booleanSchemas() throws {
        #expect(try T.outcomes("true", #"{"any": [1, null]}"#) == [])
        #expect(try T.outcomes("false", "1") == ["|false|"])
        #expect(try T.outcomes("{}", "null") == [])
    }

    @Test func typeSingleAndList() throws {
        #expect(try T.outcomes(#"{"type": "string"}"#, #""a""#) == [])
        #expect(try T.outcomes(#"{"type": "string"}"#, "1") == ["|type|/type"])
        #expect(try T.outcomes(#"{"type": ["string", "null"]}"#, "null") == [])
        #expect(try T.outcomes(#"{"type": ["string", "null"]}"#, "true") == ["|type|/type"])
        #expect(try T.outcomes(#"{"type": "boolean"}"#, "false") == [])
        #expect(try T.outcomes(#"{"type": "boolean"}"#, "0") == ["|type|/type"])
        #expect(try T.outcomes(#"{"type": "object"}"#, "{}") == [])
        #expect(try T.outcomes(#"{"type": "object"}"#, "[]") == ["|type|/type"])
        #expect(try T.outcomes(#"{"type": "array"}"#, "[]") == [])
        #expect(try T.outcomes(#"{"type": "null"}"#, "0") == ["|type|/type"])
        let violation = try T.template(#"{"type": ["integer", "string"]}"#).validate(.bool(true))
        #expect(violation.first?.message == "expected string or integer, found boolean true")
    }

    @Test func integerAcceptsWholeDoublesAndNumberAcceptsIntegers() throws {
        #expect(try T.outcomes(#"{"type": "integer"}"#, "1.0") == [])
        #expect(try T.outcomes(#"{"type": "integer"}"#, "-0.0") == [])
        #expect(try T.outcomes(#"{"type": "integer"}"#, "1.5") == ["|type|/type"])
        #expect(try T.outcomes(#"{"type": "number"}"#, "7") == [])
        #expect(try T.outcomes(#"{"type": "number"}"#, "7.25") == [])
        #expect(try T.outcomes(#"{"type": "number"}"#, #""7""#) == ["|type|/type"])
    }

    @Test func propertiesApplyToTheirMembersOnly() throws {
        let schema = #"{"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}"#
        #expect(try T.outcomes(schema, #"{"a": "x", "b": 2, "c": null}"#) == [])
        #expect(try T.outcomes(schema, #"{"a": 1}"#) == ["/a|type|/properties/a/type"])
        #expect(try T.outcomes(schema, #"[1]"#) == [])  // not an object: properties says nothing
    }

    @Test func requiredNamesTheMissingProperty() throws {
        let template = try T.template(#"{"required": ["a", "b"]}"#)
        #expect(try T.outcomes(template, #"{"a": 1, "b": null}"#) == [])
        let violations = template.validate(try T.json(#"{"a": 1}"#))
        #expect(violations.map(\.compact) == ["|required|/required"])
        #expect(violations.first?.message == #"missing required property "b""#)
        #expect(try T.outcomes(template, #""not an object""#) == [])
    }

    @Test func additionalPropertiesFalseRefusesUnlistedNames() throws {
        let schema = #"{"properties": {"a": {}}, "patternProperties": {"^x-": {}}, "additionalProperties": false}"#
        #expect(try T.outcomes(schema, #"{"a": 1, "x-trace": 2}"#) == [])
        let violations = try T.template(schema).validate(try T.json(#"{"a": 1, "x-y": 2, "z": 3}"#))
        #expect(violations.map(\.compact) == ["/z|additionalProperties|/additionalProperties"])
        #expect(violations.first?.message == #"property "z" is not allowed (additionalProperties is false here)"#)
    }

    @Test func additionalPropertiesSchemaValidatesUnlistedMembers() throws {
        let schema = #"{"properties": {"name": {"type": "string"}}, "additionalProperties": {"type": "integer"}}"#
        #expect(try T.outcomes(schema, #"{"name": "n", "a": 1}"#) == [])
        #expect(try T.outcomes(schema, #"{"name": "n", "a": 1, "b": "x"}"#) == ["/b|type|/additionalProperties/type"])
    }

    @Test func patternPropertiesMatchNamesAnywhere() throws {
        let schema = #"{"patternProperties": {"^n_": {"type": "number"}, "a/b": {"type": "string"}}}"#
        #expect(try T.outcomes(schema, #"{"n_a": 1, "other": "y"}"#) == [])
        #expect(try T.outcomes(schema, #"{"n_a": "x", "other": "y"}"#) == ["/n_a|type|/patternProperties/^n_/type"])
        #expect(try T.outcomes(schema, #"{"xa/by": 1}"#) == ["/xa~1by|type|/patternProperties/a~1b/type"])
    }

    @Test func propertyCounts() throws {
        #expect(try T.outcomes(#"{"minProperties": 2}"#, #"{"a": 1, "b": 2}"#) == [])
        #expect(try T.outcomes(#"{"minProperties": 2}"#, #"{"a": 1}"#) == ["|minProperties|/minProperties"])
        #expect(try T.outcomes(#"{"maxProperties": 1}"#, #"{"a": 1}"#) == [])
        #expect(try T.outcomes(#"{"maxProperties": 1}"#, #"{"a": 1, "b": 2}"#) == ["|maxProperties|/maxProperties"])
    }

    @Test func propertyNames() throws {
        let schema = #"{"propertyNames": {"pattern": "^[a-z]+$"}}"#
        #expect(try T.outcomes(schema, #"{"ok": 1}"#) == [])
        #expect(try T.outcomes(schema, #"{"ok": 1, "Bad": 2}"#) == ["/Bad|propertyNames|/propertyNames"])
    }

    @Test func dependentRequiredAndDependentSchemas() throws {
        let required = #"{"dependentRequired": {"card": ["billing"]}}"#
        #expect(try T.outcomes(required, #"{"card": 1, "billing": 2}"#) == [])
        #expect(try T.outcomes(required, #"{"other": 1}"#) == [])
        #expect(try T.outcomes(required, #"{"card": 1}"#) == ["|dependentRequired|/dependentRequired"])
        let schemas = #"{"dependentSchemas": {"card": {"required": ["billing"]}}}"#
        #expect(try T.outcomes(schemas, #"{"card": 1, "billing": 2}"#) == [])
        #expect(try T.outcomes(schemas, #"{"card": 1}"#) == ["|required|/dependentSchemas/card/required"])
    }

    @Test func prefixItemsThenItems() throws {
        let schema = #"{"prefixItems": [{"type": "string"}, {"type": "integer"}], "items": {"type": "boolean"}}"#
        #expect(try T.outcomes(schema, #"["a", 1, true, false]"#) == [])
        #expect(try T.outcomes(schema, #"["a"]"#) == [])
        #expect(try T.outcomes(schema, #"["a", 1, true, "x"]"#) == ["/3|type|/items/type"])
        #expect(try T.outcomes(schema, #"[1]"#) == ["/0|type|/prefixItems/0/type"])
        #expect(try T.outcomes(#"{"items": {"type": "integer"}}"#, #"[1, "a", 2, null]"#) == [
            "/1|type|/items/type", "/3|type|/items/type",
        ])
    }

    @Test func itemsFalseCapsATuple() throws {
        let schema = #"{"prefixItems": [{}, {}], "items": false}"#
        #expect(try T.outcomes(schema, "[1, 2]") == [])
        #expect(try T.outcomes(schema, "[1, 2, 3]") == ["/2|items|/items"])
    }

    @Test func itemCounts() throws {
        #expect(try T.outcomes(#"{"minItems": 2}"#, "[1, 2]") == [])
        #expect(try T.outcomes(#"{"minItems": 2}"#, "[1]") == ["|minItems|/minItems"])
        #expect(try T.outcomes(#"{"maxItems": 2}"#, "[1, 2]") == [])
        #expect(try T.outcomes(#"{"maxItems": 2}"#, "[1, 2, 3]") == ["|maxItems|/maxItems"])
        let message = try T.template(#"{"maxItems": 2}"#).validate(try T.json("[1, 2, 3]")).first?.message
        #expect(message == "the array has 3 items, more than maxItems 2")
    }

    @Test func uniqueItemsUsesJSONEquality() throws {
        let schema = #"{"uniqueItems": true}"#
        #expect(try T.outcomes(schema, #"[1, "1", true, null, 0, false, [1], {"a": 1}]"#) == [])
        #expect(try T.outcomes(schema, "[1, 1.0]") == ["|uniqueItems|/uniqueItems"])
        #expect(try T.outcomes(schema, #"[{"a": 1, "b": 2}, {"b": 2, "a": 1.0}]"#) == ["|uniqueItems|/uniqueItems"])
        #expect(try T.outcomes(schema, "[[1, [2]], [1.0, [2.0]]]") == ["|uniqueItems|/uniqueItems"])
        #expect(try T.outcomes(#"{"uniqueItems": false}"#, "[1, 1]") == [])
        let message = try T.template(schema).validate(try T.json(#"["a", "b", "a"]"#)).first?.message
        #expect(message == #"items 0 and 2 are equal ("a"); items must be unique"#)
    }

    @Test func containsWithMinAndMax() throws {
        let contains = #"{"contains": {"type": "string"}}"#
        #expect(try T.outcomes(contains, #"[1, "a"]"#) == [])
        #expect(try T.outcomes(contains, "[1, 2]") == ["|contains|/contains"])
        #expect(try T.outcomes(contains, "[]") == ["|contains|/contains"])
        let minimum = #"{"contains": {"type": "string"}, "minContains": 2}"#
        #expect(try T.outcomes(minimum, #"["a", 1, "b"]"#) == [])
        #expect(try T.outcomes(minimum, #"["a", 1]"#) == ["|minContains|/minContains"])
        let maximum = #"{"contains": {"type": "string"}, "maxContains": 1}"#
        #expect(try T.outcomes(maximum, #"["a", 1]"#) == [])
        #expect(try T.outcomes(maximum, #"["a", "b"]"#) == ["|maxContains|/maxContains"])
        #expect(try T.outcomes(#"{"contains": {"type": "string"}, "minContains": 0}"#, "[]") == [])
    }

    @Test func enumComparesAsJSON() throws {
        let schema = #"{"enum": ["red", 1, null, {"a": [1]}]}"#
        for valid in [#""red""#, "1", "1.0", "null", #"{"a": [1.0]}"#] {
            #expect(try T.outcomes(schema, valid) == [], "\(valid)")
        }
        for invalid in [#""blue""#, "2", "false", #"{"a": [1], "b": 2}"#, "[1]"] {
            #expect(try T.outcomes(schema, invalid) == ["|enum|/enum"], "\(invalid)")
        }
        let message = try T.template(schema).validate(.string("blue")).first?.message
        #expect(message == #"string "blue" is not one of "red", 1, null, an object with 1 property"#)
    }

    @Test func constComparesAsJSON() throws {
        let schema = #"{"const": {"a": 1, "b": [true]}}"#
        #expect(try T.outcomes(schema, #"{"b": [true], "a": 1.0}"#) == [])
        #expect(try T.outcomes(schema, #"{"a": 2, "b": [true]}"#) == ["|const|/const"])
        #expect(try T.outcomes(#"{"const": null}"#, "null") == [])
        #expect(try T.outcomes(#"{"const": null}"#, "0") == ["|const|/const"])
        #expect(try T.outcomes(#"{"const": "e\u0301"}"#, #""\u00e9""#) == ["|const|/const"])  // code points differ
    }

    @Test func minimumAndMaximum() throws {
        #expect(try T.outcomes(#"{"minimum": 5}"#, "5") == [])
        #expect(try T.outcomes(#"{"minimum": 5}"#, "4.9") == ["|minimum|/minimum"])
        #expect(try T.outcomes(#"{"minimum": 5}"#, #""4""#) == [])  // not a number: minimum says nothing
        #expect(try T.outcomes(#"{"maximum": 5.5}"#, "5.5") == [])
        #expect(try T.outcomes(#"{"maximum": 5.5}"#, "6") == ["|maximum|/maximum"])
        let message = try T.template(#"{"minimum": 5}"#).validate(.integer(3)).first?.message
        #expect(message == "3 is less than the minimum 5")
    }

    @Test func exclusiveLimitsAreNumbers() throws {
        #expect(try T.outcomes(#"{"exclusiveMinimum": 5}"#, "5.1") == [])
        #expect(try T.outcomes(#"{"exclusiveMinimum": 5}"#, "5") == ["|exclusiveMinimum|/exclusiveMinimum"])
        #expect(try T.outcomes(#"{"exclusiveMaximum": 5}"#, "4.9") == [])
        #expect(try T.outcomes(#"{"exclusiveMaximum": 5}"#, "5.0") == ["|exclusiveMaximum|/exclusiveMaximum"])
    }

    @Test func largeIntegersCompareExactly() throws {
        // 2^53 + 1 has no exact double; comparing through Double would call it equal to 2^53.
        #expect(try T.outcomes(#"{"maximum": 9007199254740992.0}"#, "9007199254740993") == ["|maximum|/maximum"])
        #expect(try T.outcomes(#"{"maximum": 9007199254740993}"#, "9007199254740993") == [])
        #expect(try T.outcomes(#"{"const": 9007199254740992.0}"#, "9007199254740993") == ["|const|/const"])
        #expect(try T.outcomes(#"{"minimum": -1e300}"#, "-9223372036854775808") == [])
    }

    @Test func multipleOf() throws {
        #expect(try T.outcomes(#"{"multipleOf": 3}"#, "9") == [])
        #expect(try T.outcomes(#"{"multipleOf": 3}"#, "10") == ["|multipleOf|/multipleOf"])
        #expect(try T.outcomes(#"{"multipleOf": 1.5}"#, "4.5") == [])
        #expect(try T.outcomes(#"{"multipleOf": 1.5}"#, "35") == ["|multipleOf|/multipleOf"])
        #expect(try T.outcomes(#"{"multipleOf": 0.1}"#, "0.3") == [])
        #expect(try T.outcomes(#"{"multipleOf": 0.1}"#, "0.35") == ["|multipleOf|/multipleOf"])
        #expect(try T.outcomes(#"{"multipleOf": 0.0001}"#, "0.0075") == [])
        #expect(try T.outcomes(#"{"multipleOf": 0.123456789}"#, "1e308") == ["|multipleOf|/multipleOf"])
    }

    @Test func lengthsCountCodePoints() throws {
        #expect(try T.outcomes(#"{"minLength": 2}"#, #""ab""#) == [])
        #expect(try T.outcomes(#"{"minLength": 2}"#, #""\u00e9""#) == ["|minLength|/minLength"])  // é, one scalar
        #expect(try T.outcomes(#"{"minLength": 2}"#, #""e\u0301""#) == [])  // e + combining accent: two
        #expect(try T.outcomes(#"{"maxLength": 1}"#, #""😀""#) == [])  // one scalar, four UTF-8 bytes
        #expect(try T.outcomes(#"{"maxLength": 1}"#, #""ab""#) == ["|maxLength|/maxLength"])
        #expect(try T.outcomes(#"{"maxLength": 1}"#, "12") == [])
        let message = try T.template(#"{"minLength": 3}"#).validate(.string("ab")).first?.message
        #expect(message == #""ab" has 2 characters, fewer than minLength 3"#)
    }

    @Test func patternIsAnUnanchoredSearch() throws {
        #expect(try T.outcomes(#"{"pattern": "b"}"#, #""abc""#) == [])
        #expect(try T.outcomes(#"{"pattern": "^[0-9]+$"}"#, #""123""#) == [])
        #expect(try T.outcomes(#"{"pattern": "^[0-9]+$"}"#, #""12a""#) == ["|pattern|/pattern"])
        #expect(try T.outcomes(#"{"pattern": "^[0-9]+$"}"#, "12") == [])  // not a string
        // ECMA-262 semantics: \d is ASCII only, $ does not match before a final newline, . is one code point.
        #expect(try T.outcomes(#"{"pattern": "^\\d$"}"#, #""\u0663""#) == ["|pattern|/pattern"])
        #expect(try T.outcomes(#"{"pattern": "^abc$"}"#, #""abc\n""#) == ["|pattern|/pattern"])
        #expect(try T.outcomes(#"{"pattern": "^.$"}"#, #""\u00e9""#) == [])
        // Patterns run on the policy language's automaton (the RE2 subset), not a backtracking
        // engine: Unicode classes are refused when the template is saved, and a pattern that
        // backtracks exponentially elsewhere answers in linear time here.
        #expect(throws: MessageTemplateError.self) { try T.template(#"{"pattern": "^\\p{L}+$"}"#) }
        let text = String(repeating: "a", count: 5_000) + "!"
        #expect(try T.template(#"{"pattern": "^(a+)+$"}"#).validate(.string(text)).map(\.rule) == ["pattern"])
    }

    @Test func allOfReportsEachBranch() throws {
        let schema = #"{"allOf": [{"minimum": 1}, {"maximum": 3}, {"type": "integer"}]}"#
        #expect(try T.outcomes(schema, "2") == [])
        #expect(try T.outcomes(schema, "5.5") == ["|maximum|/allOf/1/maximum", "|type|/allOf/2/type"])
    }

    @Test func anyOfReportsOnceAtTheCombinator() throws {
        let schema = #"{"anyOf": [{"type": "string"}, {"minimum": 10}, {"type": "array"}]}"#
        #expect(try T.outcomes(schema, #""x""#) == [])
        #expect(try T.outcomes(schema, "11") == [])
        #expect(try T.outcomes(schema, "5") == ["|anyOf|/anyOf"])
        let message = try T.template(schema).validate(.integer(5)).first?.message
        #expect(message == "integer 5 matches none of the 3 anyOf alternatives")
    }

    @Test func oneOfNeedsExactlyOne() throws {
        let schema = #"{"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 2}]}"#
        #expect(try T.outcomes(schema, "1") == [])
        #expect(try T.outcomes(schema, "2.5") == [])
        #expect(try T.outcomes(schema, "3") == ["|oneOf|/oneOf"])
        #expect(try T.outcomes(schema, #""x""#) == ["|oneOf|/oneOf"])
        let template = try T.template(schema)
        #expect(template.validate(.integer(3)).first?.message == "integer 3 matches oneOf alternatives 0 and 1; exactly one must match")
        #expect(template.validate(.string("x")).first?.message == #"string "x" matches none of the 2 oneOf alternatives"#)
    }

    @Test func notInverts() throws {
        #expect(try T.outcomes(#"{"not": {"type": "string"}}"#, "1") == [])
        #expect(try T.outcomes(#"{"not": {"type": "string"}}"#, #""a""#) == ["|not|/not"])
    }

    @Test func ifThenElse() throws {
        let schema = #"""
            {"if": {"properties": {"kind": {"const": "a"}}},
             "then": {"required": ["x"]}, "else": {"required": ["y"]}}
            """#
        #expect(try T.outcomes(schema, #"{"kind": "a", "x": 1}"#) == [])
        #expect(try T.outcomes(schema, #"{"kind": "b", "y": 1}"#) == [])
        #expect(try T.outcomes(schema, #"{"kind": "a"}"#) == ["|required|/then/required"])
        #expect(try T.outcomes(schema, #"{"kind": "b"}"#) == ["|required|/else/required"])
        #expect(try T.outcomes(#"{"then": false}"#, "1") == [])  // then without if is ignored
    }

    @Test func annotationsAndUnknownKeywordsAreIgnored() throws {
        let schema = #"""
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://example.com/t",
             "$comment": "c", "title": "t", "description": "d", "default": 1, "examples": [1],
             "format": "email", "deprecated": true, "readOnly": true, "writeOnly": false,
             "x-plexus": {"anything": [1, 2]}, "contentMediaType": "text/plain"}
            """#
        #expect(try T.outcomes(schema, #""not an email address""#) == [])
    }

    @Test func allViolationsAreReportedInTemplateOrder() throws {
        let schema = #"""
            {"required": ["c"], "properties": {"a": {"type": "string"}, "b": {"minimum": 0}},
             "allOf": [{"maxProperties": 1}]}
            """#
        #expect(try T.outcomes(schema, #"{"a": 1, "b": -1}"#) == [
            "|required|/required", "/a|type|/properties/a/type", "/b|minimum|/properties/b/minimum",
            "|maxProperties|/allOf/0/maxProperties",
        ])
    }

    @Test func pointersEscapeTildeAndSlash() throws {
        let schema = #"{"properties": {"a/b": {"type": "string"}, "m~n": {"type": "string"}}}"#
        #expect(try T.outcomes(schema, #"{"a/b": 1, "m~n": 2}"#) == [
            "/a~1b|type|/properties/a~1b/type", "/m~0n|type|/properties/m~0n/type",
        ])
    }

    @Test func nestedArrayPointer() throws {
        let schema = #"""
            {"properties": {"items": {"type": "array", "items": {"properties": {"name": {"minLength": 1}}}}}}
            """#
        #expect(try T.outcomes(schema, #"{"items": [{"name": "a"}, {"name": "b"}, {"name": ""}]}"#) == [
            "/items/2/name|minLength|/properties/items/items/properties/name/minLength"
        ])
    }
}
