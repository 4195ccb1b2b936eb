import Collections
import PlexusCore
import Testing

@Suite("JSONValue access and literals")
struct JSONValueAccessTests {
    @Test func literalsBuildTheExpectedCases() {
        let value: JSONValue = ["a": 1, "b": [true, nil], "c": 2.5, "d": "text", "e": false]
        var expected = JSONObject()
        expected["a"] = .integer(1)
        expected["b"] = .array([.bool(true), .null])
        expected["c"] = .double(2.5)
        expected["d"] = .string("text")
        expected["e"] = .bool(false)
        #expect(value == .object(expected))
    }

    @Test func dictionaryLiteralKeepsWrittenOrder() {
        let value: JSONValue = ["z": 0, "a": 0, "m": 0]
        #expect(value.objectValue.map { Array($0.keys) } == ["z", "a", "m"])
    }

    @Test func subscriptLooksUpObjectKeys() {
        let value: JSONValue = ["user": ["name": "ada", "age": 36]]
        #expect(value["user"]?["name"]?.stringValue == "ada")
        #expect(value["user"]?["age"]?.integerValue == 36)
        #expect(value["missing"] == nil)
        #expect(value["user"]?["name"]?["deeper"] == nil)
        #expect(JSONValue.array([1])["0"] == nil)
    }

    @Test func typedViewsAnswerOnlyForTheirCase() {
        let string: JSONValue = "s"
        let integer: JSONValue = 3
        let double: JSONValue = 0.5
        let bool: JSONValue = true
        let null: JSONValue = nil
        let array: JSONValue = [1, 2]
        let object: JSONValue = ["k": "v"]

        #expect(string.stringValue == "s")
        #expect(integer.stringValue == nil)
        #expect(integer.integerValue == 3)
        #expect(double.integerValue == nil)
        #expect(integer.doubleValue == 3.0)
        #expect(double.doubleValue == 0.5)
        #expect(string.doubleValue == nil)
        #expect(bool.boolValue == true)
        #expect(null.boolValue == nil)
        #expect(null.isNull)
        #expect(!bool.isNull)
        #expect(array.arrayValue == [1, 2])
        #expect(object.arrayValue == nil)
        #expect(object.objectValue?["k"] == "v")
        #expect(array.objectValue == nil)
    }
}
