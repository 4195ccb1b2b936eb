import Foundation
import Testing

@testable import PlexusCore

/// The template facade: format detection, identity, the violation cap and hostile data.
@Suite("Message templates")
struct MessageTemplateTests {
    typealias T = MessageTemplateTestSupport

    @Test func detectsTheFormat() throws {
        let schema = try T.template(##"{"type": "object"}"##)
        #expect(!schema.isOriginal)
        #expect(schema.originalTemplate == nil)
        let original = try T.template(##"{"policy_input_schema": {"name": {"type": "string"}}}"##)
        #expect(original.isOriginal)
        #expect(original.originalTemplate?.fields.map(\.name) == ["name"])
        #expect(try T.outcomes(original, ##"{"name": 1}"##) == ["/name|type|/policy_input_schema/name/type"])
        #expect(try !T.template("true").isOriginal)
    }

    @Test func identityIsTheSource() throws {
        let text = ##"{"properties": {"a": {"pattern": "^x"}}}"##
        let first = try T.template(text)
        let second = try T.template(text)
        #expect(first == second)
        #expect(Set([first, second]).count == 1)
        #expect(first.source == (try T.json(text)))
        #expect(first != (try T.template(##"{"properties": {"a": {"pattern": "^y"}}}"##)))
    }

    @Test func violationsAreCapped() throws {
        let template = try T.template(##"{"items": {"type": "string"}}"##)
        let data = JSONValue.array((0..<100).map { .integer($0) })
        let violations = template.validate(data)
        #expect(violations.count == MessageTemplate.maxViolations)
        #expect(violations.first?.pointer == "/0")
        #expect(violations.last?.pointer == "/31")
    }

    @Test func deeplyNestedDataDoesNotCrash() throws {
        var data: JSONValue = "leaf"
        for _ in 0..<2_000 { data = [data] }
        #expect(try T.template("true").validate(data) == [])
        #expect(try T.template(##"{"type": "array", "items": {"type": "array"}}"##).validate(data) == [])
        #expect(try T.template(##"{"uniqueItems": true, "enum": [[1]]}"##).validate(data).map(\.rule) == ["enum"])
        let recursive = try T.template(##"{"anyOf": [{"type": "string"}, {"items": {"$ref": "#"}}]}"##)
        #expect(recursive.validate(data).map(\.rule) == ["$ref"])
    }

    /// 512 KB is the stack of a secondary thread on Darwin; the recursion the depth limit allows must
    /// fit in it even unoptimised, on a template that recurses through objects, arrays and anyOf.
    @Test func deepestRecursionFitsASmallThreadStack() async throws {
        let template = try T.template(##"""
            {"$defs": {"node": {"type": "object", "properties": {"v": {"type": "integer"},
                                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
             "$ref": "#/$defs/node", "allOf": [{"anyOf": [{"type": "string"}, {"$ref": "#/$defs/node"}]}]}
            """##)
        var data: JSONValue = ["v": 1]
        for _ in 0..<100 { data = ["v": 1, "children": [data]] }
        let rules = await withCheckedContinuation { (continuation: CheckedContinuation<[String], Never>) in
            let thread = Thread { [data] in continuation.resume(returning: template.validate(data).map(\.rule)) }
            thread.stackSize = 512 * 1024
            thread.start()
        }
        #expect(rules == ["$ref"])
    }

    @Test func violationDescription() throws {
        let violation = try T.template(##"{"properties": {"a": {"maximum": 2}}}"##).validate(try T.json(##"{"a": 3}"##))
        #expect(violation.map(\.description) == ["/a: 3 is greater than the maximum 2 [maximum at /properties/a/maximum]"])
        #expect(try T.template("false").validate(1).map(\.description) == [
            "(root): no value is allowed here (the schema is false) [false at (root)]"
        ])
    }

    @Test func longStringsAreCutInMessages() throws {
        let long = String(repeating: "x", count: 100)
        let message = try T.template(##"{"pattern": "^y"}"##).validate(.string(long)).first?.message
        #expect(message == "\"" + String(repeating: "x", count: 40) + "\"… does not match the pattern ^y")
    }
}
