import Testing

@testable import PlexusCore

/// Templates refused at save time, with the pointer into the template.
@Suite("JSON Schema template errors")
struct JSONSchemaTemplateErrorTests {
    typealias T = MessageTemplateTestSupport

    /// `template` is refused with `code` at `pointer`.
    private func expectRefused(
        _ template: String, _ code: MessageTemplateError.Code, at pointer: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let error = try T.refusal(template)
        #expect(error?.code == code, "\(template)", sourceLocation: sourceLocation)
        #expect(error?.pointer == pointer, "\(template)", sourceLocation: sourceLocation)
    }

    @Test func badKeywordValues() throws {
        try expectRefused(##"{"minLength": -1}"##, .invalidValue, at: "/minLength")
        try expectRefused(##"{"maxItems": 1.5}"##, .invalidValue, at: "/maxItems")
        try expectRefused(##"{"minProperties": "2"}"##, .invalidValue, at: "/minProperties")
        try expectRefused(##"{"properties": {"a": {"type": "strng"}}}"##, .invalidValue, at: "/properties/a/type")
        try expectRefused(##"{"type": ["string", "strng"]}"##, .invalidValue, at: "/type/1")
        try expectRefused(##"{"type": ["string", "string"]}"##, .invalidValue, at: "/type/1")
        try expectRefused(##"{"type": []}"##, .invalidValue, at: "/type")
        try expectRefused(##"{"minimum": "5"}"##, .invalidValue, at: "/minimum")
        try expectRefused(##"{"multipleOf": 0}"##, .invalidValue, at: "/multipleOf")
        try expectRefused(##"{"multipleOf": -2}"##, .invalidValue, at: "/multipleOf")
        try expectRefused(##"{"required": "a"}"##, .invalidValue, at: "/required")
        try expectRefused(##"{"required": ["a", "a"]}"##, .invalidValue, at: "/required/1")
        try expectRefused(##"{"required": ["a", 1]}"##, .invalidValue, at: "/required/1")
        try expectRefused(##"{"uniqueItems": "yes"}"##, .invalidValue, at: "/uniqueItems")
        try expectRefused(##"{"enum": "red"}"##, .invalidValue, at: "/enum")
        try expectRefused(##"{"allOf": []}"##, .invalidValue, at: "/allOf")
        try expectRefused(##"{"properties": []}"##, .invalidValue, at: "/properties")
        try expectRefused(##"{"dependentRequired": {"a": "b"}}"##, .invalidValue, at: "/dependentRequired/a")
        try expectRefused(##"{"$ref": 1}"##, .invalidValue, at: "/$ref")
        try expectRefused(##"{"$anchor": "1bad"}"##, .invalidValue, at: "/$anchor")
    }

    @Test func wholeNumbersWrittenAsDoublesAreCounts() throws {
        #expect(try T.refusal(##"{"maxItems": 2.0, "minLength": 0}"##) == nil)
    }

    @Test func draft4ExclusiveBooleansAreRefusedWithAHint() throws {
        let error = try #require(try T.refusal(##"{"minimum": 0, "exclusiveMinimum": true}"##))
        #expect(error.code == .invalidValue)
        #expect(error.pointer == "/exclusiveMinimum")
        #expect(error.message.contains("draft 4"))
    }

    @Test func tupleItemsPointToPrefixItems() throws {
        let error = try #require(try T.refusal(##"{"items": [{"type": "string"}]}"##))
        #expect(error.pointer == "/items")
        #expect(error.message.contains("prefixItems"))
    }

    @Test func badPatterns() throws {
        try expectRefused(##"{"pattern": "("}"##, .invalidPattern, at: "/pattern")
        try expectRefused(##"{"properties": {"a": {"pattern": "[a-"}}}"##, .invalidPattern, at: "/properties/a/pattern")
        try expectRefused(##"{"patternProperties": {"a/(": {}}}"##, .invalidPattern, at: "/patternProperties/a~1(")
        try expectRefused(##"{"pattern": 5}"##, .invalidValue, at: "/pattern")
    }

    @Test func notASchema() throws {
        try expectRefused("5", .notASchema, at: "")
        try expectRefused(##""string""##, .notASchema, at: "")
        try expectRefused(##"{"properties": {"a": 5}}"##, .notASchema, at: "/properties/a")
        try expectRefused(##"{"items": null}"##, .notASchema, at: "/items")
        try expectRefused(##"{"anyOf": [{}, []]}"##, .notASchema, at: "/anyOf/1")
    }

    @Test func unusedDefinitionsAreCheckedToo() throws {
        try expectRefused(##"{"$defs": {"unused": {"minimum": "x"}}}"##, .invalidValue, at: "/$defs/unused/minimum")
    }

    @Test func unsupportedKeywordsAreRefusedRatherThanIgnored() throws {
        try expectRefused(##"{"unevaluatedProperties": false}"##, .unsupportedKeyword, at: "/unevaluatedProperties")
        try expectRefused(##"{"items": {"unevaluatedItems": false}}"##, .unsupportedKeyword, at: "/items/unevaluatedItems")
        try expectRefused(##"{"$dynamicRef": "#meta"}"##, .unsupportedKeyword, at: "/$dynamicRef")
        try expectRefused(##"{"$defs": {"a": {"$id": "http://example.com/a"}}}"##, .unsupportedKeyword, at: "/$defs/a/$id")
    }

    @Test func deeplyNestedTemplatesAreRefusedNotCrashed() throws {
        var schema: JSONValue = true
        for _ in 0..<500 { schema = ["not": schema] }
        let error = try #require(T.refusal(schema))
        #expect(error.code == .tooDeep)
        #expect(error.pointer == String(repeating: "/not", count: 101))
    }

    @Test func errorDescriptionNamesPointerAndProblem() throws {
        let error = try #require(try T.refusal(##"{"minLength": -1}"##))
        #expect(
            error.description
                == ##"invalid template (invalid-value) at "/minLength": minLength must be a non-negative integer, found integer -1"##)
    }
}
