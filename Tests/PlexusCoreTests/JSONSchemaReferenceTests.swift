import Testing

@testable import PlexusCore

/// `$ref`, `$defs`, `$anchor`, recursion and the limits that keep recursion bounded.
@Suite("JSON Schema references")
struct JSONSchemaReferenceTests {
    typealias T = MessageTemplateTestSupport

    @Test func refToDefsReportsTheDefinitionsLocation() throws {
        let schema = ##"{"$defs": {"pos": {"type": "integer", "minimum": 0}}, "properties": {"n": {"$ref": "#/$defs/pos"}}}"##
        #expect(try T.outcomes(schema, ##"{"n": 3}"##) == [])
        #expect(try T.outcomes(schema, ##"{"n": -1}"##) == ["/n|minimum|/$defs/pos/minimum"])
    }

    @Test func legacyDefinitions() throws {
        let schema = ##"{"definitions": {"s": {"type": "string"}}, "$ref": "#/definitions/s"}"##
        #expect(try T.outcomes(schema, ##""x""##) == [])
        #expect(try T.outcomes(schema, "1") == ["|type|/definitions/s/type"])
    }

    @Test func refSiblingsStillApply() throws {
        let schema = ##"{"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s", "maxLength": 2}"##
        #expect(try T.outcomes(schema, ##""ab""##) == [])
        #expect(try T.outcomes(schema, ##""abc""##) == ["|maxLength|/maxLength"])
        #expect(try T.outcomes(schema, "1") == ["|type|/$defs/s/type"])
    }

    @Test func pointerFragmentsAreUnescapedAndPercentDecoded() throws {
        let schema = ##"""
            {"$defs": {"a/b": {"type": "string"}, "c~d": {"type": "integer"}, "e f": {"type": "null"}},
             "properties": {"x": {"$ref": "#/$defs/a~1b"}, "y": {"$ref": "#/$defs/c~0d"}, "z": {"$ref": "#/$defs/e%20f"}}}
            """##
        #expect(try T.outcomes(schema, ##"{"x": "s", "y": 1, "z": null}"##) == [])
        #expect(try T.outcomes(schema, ##"{"x": 1, "y": "s", "z": 1}"##) == [
            "/x|type|/$defs/a~1b/type", "/y|type|/$defs/c~0d/type", "/z|type|/$defs/e f/type",
        ])
    }

    @Test func refToAnyPlaceInTheDocument() throws {
        let sibling = ##"{"properties": {"a": {"type": "string"}, "b": {"$ref": "#/properties/a"}}}"##
        #expect(try T.outcomes(sibling, ##"{"b": 1}"##) == ["/b|type|/properties/a/type"])
        let arrayElement = ##"{"anyOf": [{"type": "object"}, {"type": "string"}], "properties": {"x": {"$ref": "#/anyOf/1"}}}"##
        #expect(try T.outcomes(arrayElement, ##"{"x": 1}"##) == ["/x|type|/anyOf/1/type"])
        // A schema kept under a keyword the validator does not know is still reachable by pointer.
        let unknownKeyword = ##"{"components": {"name": {"type": "string"}}, "properties": {"n": {"$ref": "#/components/name"}}}"##
        #expect(try T.outcomes(unknownKeyword, ##"{"n": 1}"##) == ["/n|type|/components/name/type"])
    }

    @Test func anchorRef() throws {
        let schema = ##"{"$defs": {"x": {"$anchor": "item", "type": "string"}}, "items": {"$ref": "#item"}}"##
        #expect(try T.outcomes(schema, ##"["a"]"##) == [])
        #expect(try T.outcomes(schema, "[1]") == ["/0|type|/$defs/x/type"])
    }

    @Test func refSpelledAgainstTheRootIDStaysLocal() throws {
        let schema = ##"""
            {"$id": "https://example.com/s", "$defs": {"a": {"type": "string"}},
             "properties": {"p": {"$ref": "https://example.com/s#/$defs/a"}, "q": {"$ref": "https://example.com/s"}}}
            """##
        #expect(try T.outcomes(schema, ##"{"p": 1}"##) == ["/p|type|/$defs/a/type"])
        #expect(try T.outcomes(schema, ##"{"q": {"p": 1}}"##) == ["/q/p|type|/$defs/a/type"])
    }

    @Test func recursiveTree() throws {
        let schema = ##"""
            {"$defs": {"node": {"type": "object", "required": ["value"], "additionalProperties": false,
                                "properties": {"value": {"type": "integer"},
                                               "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
             "$ref": "#/$defs/node"}
            """##
        let template = try T.template(schema)
        #expect(try T.outcomes(template, ##"{"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}, {"value": 4}]}"##) == [])
        #expect(try T.outcomes(template, ##"{"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]}"##) == [
            "/children/0/children/0/value|type|/$defs/node/properties/value/type"
        ])
        #expect(try T.outcomes(template, ##"{"value": 1, "children": [{"children": [], "extra": 1}]}"##) == [
            "/children/0|required|/$defs/node/required", "/children/0/extra|additionalProperties|/$defs/node/additionalProperties",
        ])
    }

    @Test func recursionThroughTheRoot() throws {
        let schema = ##"{"properties": {"v": {"type": "integer"}, "next": {"$ref": "#"}}}"##
        #expect(try T.outcomes(schema, ##"{"v": 1, "next": {"v": 2, "next": {"v": 3}}}"##) == [])
        #expect(try T.outcomes(schema, ##"{"v": 1, "next": {"v": 2, "next": {"v": "3"}}}"##) == ["/next/next/v|type|/properties/v/type"])
    }

    @Test func refCyclesAreRefusedAtCompileTime() throws {
        let selfReference = try #require(try T.refusal(##"{"$ref": "#"}"##))
        #expect(selfReference.code == .referenceCycle)
        #expect(selfReference.pointer == "/$ref")

        let mutual = try #require(try T.refusal(##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}}}"##))
        #expect(mutual.code == .referenceCycle)
        #expect(mutual.pointer == "/$defs/b/allOf/0/$ref")

        let throughAnyOf = try #require(try T.refusal(##"{"anyOf": [{"type": "string"}, {"$ref": "#"}]}"##))
        #expect(throughAnyOf.code == .referenceCycle)
        #expect(throughAnyOf.pointer == "/anyOf/1/$ref")

        // Recursion that descends into the data is a tree, not a cycle.
        #expect(try T.refusal(##"{"items": {"$ref": "#"}}"##) == nil)
    }

    @Test func remoteRefsAreRefused() throws {
        let remote = try #require(try T.refusal(##"{"properties": {"a": {"$ref": "http://example.com/schema.json"}}}"##))
        #expect(remote.code == .remoteReference)
        #expect(remote.pointer == "/properties/a/$ref")
        #expect(remote.message.contains("http://example.com/schema.json"))
        #expect(try T.refusal(##"{"$ref": "other.json#/a"}"##)?.code == .remoteReference)
    }

    @Test func unresolvableRefsAreRefused() throws {
        let missing = try #require(try T.refusal(##"{"$ref": "#/$defs/missing"}"##))
        #expect(missing.code == .unresolvableReference)
        #expect(missing.pointer == "/$ref")
        #expect(try T.refusal(##"{"$ref": "#nowhere"}"##)?.code == .unresolvableReference)
        let notSchema = try #require(try T.refusal(##"{"$defs": {"a": {"type": "string"}}, "$ref": "#/$defs/a/type"}"##))
        #expect(notSchema.code == .unresolvableReference)
        #expect(notSchema.message.contains("not a schema"))
        #expect(try T.refusal(##"{"$ref": "#/$defs/%zz"}"##)?.code == .unresolvableReference)
    }

    @Test func recursionDepthIsBounded() throws {
        // Each level of data costs two nested evaluations (items, then $ref back to the root).
        let template = try T.template(##"{"items": {"$ref": "#"}}"##)
        var data: JSONValue = []
        for _ in 0..<200 { data = [data] }
        let violations = template.validate(data)
        #expect(violations.count == 1)
        #expect(violations.first?.rule == "$ref")
        #expect(violations.first?.pointer == String(repeating: "/0", count: 64))
        #expect(violations.first?.schemaPointer == "")
    }

    @Test func longRefChainsHitTheDepthLimitNotTheStack() throws {
        var defs = JSONObject()
        for index in 0..<300 {
            defs["d\(index)"] = index == 299 ? ["type": "string"] : ["$ref": .string("#/$defs/d\(index + 1)")]
        }
        let template = try MessageTemplate(["$defs": .object(defs), "$ref": "#/$defs/d0"])
        #expect(template.validate(1).map(\.rule) == ["$ref"])
    }

    @Test func exponentialTemplatesHitTheEvaluationBudget() throws {
        // Each definition applies the next one twice: 2^30 evaluations if nothing stopped it.
        var defs = JSONObject()
        for index in 0..<30 {
            let next: JSONValue = index == 29 ? ["type": "string"] : ["$ref": .string("#/$defs/a\(index + 1)")]
            defs["a\(index)"] = ["allOf": [next, next]]
        }
        let schema = try JSONSchema(["$defs": .object(defs), "$ref": "#/$defs/a0"])
        let violations = schema.validate("x", maxViolations: 32, maxEvaluations: 10_000)
        #expect(violations.map(\.rule) == ["complexity"])
    }
}
