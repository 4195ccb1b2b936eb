import Testing

@testable import PlexusCore

/// Reading form fields from both template formats.
@Suite("Template form fields")
struct TemplateFormFieldTests {
    private func fields(_ template: String) throws -> [TemplateFormField] {
        try MessageTemplate(JSONParser.parse(template)).formFields
    }

    @Test func originalTemplateFieldsAreAllRequiredInTemplateOrder() throws {
        let result = try fields(
            #"""
            {"policy_input_schema": {
              "approved": {"type": "boolean"},
              "amount": {"type": "number", "minimum": 0},
              "colour": {"type": "string", "enum": ["red", "green"]},
              "tags": {"type": "array", "items": {"type": "string"}},
              "extra": {"type": "object"},
              "anything": {}
            }}
            """#)
        #expect(
            result == [
                TemplateFormField(name: "approved", kind: .boolean, required: true),
                TemplateFormField(name: "amount", kind: .number, required: true),
                TemplateFormField(name: "colour", kind: .string, choices: ["red", "green"], required: true),
                TemplateFormField(name: "tags", kind: .array, required: true, itemKind: .string),
                TemplateFormField(name: "extra", kind: .object, required: true),
                TemplateFormField(name: "anything", kind: .any, required: true),
            ])
    }

    @Test func originalArrayWithoutItemRulesHasAnyItems() throws {
        let result = try fields(#"{"policy_input_schema": {"list": {"type": "array"}}}"#)
        #expect(result.first?.itemKind == .any)
    }

    @Test func jsonSchemaPropertiesRequiredTypesAndChoices() throws {
        let result = try fields(
            #"""
            {"type": "object",
             "properties": {
               "count": {"type": "integer", "description": "How many"},
               "ratio": {"type": "number", "title": "Ratio"},
               "note": {"type": ["string", "null"]},
               "mixed": {"type": ["string", "number"]},
               "level": {"enum": [1, 2, 3]},
               "fixed": {"const": "yes"},
               "ids": {"type": "array", "items": {"type": "integer"}},
               "free": {"type": "array"},
               "ref": {"$ref": "#/$defs/x"}
             },
             "required": ["count", "level", "missing-from-properties"],
             "$defs": {"x": {"type": "string"}}}
            """#)
        #expect(result.map(\.name) == ["count", "ratio", "note", "mixed", "level", "fixed", "ids", "free", "ref"])
        #expect(result[0] == TemplateFormField(name: "count", kind: .integer, required: true, description: "How many"))
        #expect(result[1] == TemplateFormField(name: "ratio", kind: .number, description: "Ratio"))
        #expect(result[2].kind == .string)
        #expect(result[3].kind == .any)
        #expect(result[4] == TemplateFormField(name: "level", kind: .any, choices: [1, 2, 3], required: true))
        #expect(result[5].choices == ["yes"])
        #expect(result[6].kind == .array && result[6].itemKind == .integer)
        #expect(result[7].itemKind == .any)
        #expect(result[8].kind == .any && result[8].itemKind == nil && !result[8].required)
    }

    @Test func schemasWithoutRootPropertiesHaveNoFields() throws {
        #expect(try fields("true").isEmpty)
        #expect(try fields(#"{"type": "object"}"#).isEmpty)
        #expect(try fields(#"{"type": "object", "additionalProperties": {"type": "string"}}"#).isEmpty)
    }

    @Test func itemKindIsOnlyForArrays() {
        #expect(TemplateFormField(name: "a", kind: .string).itemKind == nil)
        #expect(TemplateFormField(name: "a", kind: .array).itemKind == .any)
    }
}
