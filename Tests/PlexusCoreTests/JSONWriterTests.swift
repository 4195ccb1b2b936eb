import Collections
import PlexusCore
import Testing

@Suite("JSONWriter")
struct JSONWriterTests {
    @Test func scalars() {
        #expect(JSONValue.null.jsonString == "null")
        #expect(JSONValue.bool(true).jsonString == "true")
        #expect(JSONValue.bool(false).jsonString == "false")
        #expect(JSONValue.string("").jsonString == #""""#)
    }

    @Test func integersAreWrittenAsIs() {
        #expect(JSONValue.integer(0).jsonString == "0")
        #expect(JSONValue.integer(7).jsonString == "7")
        #expect(JSONValue.integer(-42).jsonString == "-42")
        #expect(JSONValue.integer(1_000_000).jsonString == "1000000")
        #expect(JSONValue.integer(.max).jsonString == "9223372036854775807")
        #expect(JSONValue.integer(.min).jsonString == "-9223372036854775808")
    }

    @Test func doublesUseTheShortestRoundTripForm() {
        #expect(JSONValue.double(1.5).jsonString == "1.5")
        #expect(JSONValue.double(1).jsonString == "1.0")
        #expect(JSONValue.double(0.1).jsonString == "0.1")
        #expect(JSONValue.double(-0.0).jsonString == "-0.0")
        #expect(JSONValue.double(1e-5).jsonString == "1e-05")
        #expect(JSONValue.double(1e20).jsonString == "1e+20")
    }

    @Test func nonFiniteDoublesBecomeNull() {
        #expect(JSONValue.double(.infinity).jsonString == "null")
        #expect(JSONValue.double(-.infinity).jsonString == "null")
        #expect(JSONValue.double(.nan).jsonString == "null")
        #expect(JSONValue.array([.double(.nan), 1]).jsonString == "[null,1]")
    }

    @Test(arguments: [
        0.1, 1.0 / 3.0, -2.5e-300, 1.7976931348623157e308, 2.2250738585072014e-308, .leastNonzeroMagnitude, 123456789.125,
        9_007_199_254_740_994, 1e22, 1e23, -0.0, 0.0, 6.02214076e23,
    ])
    func doublesRoundTripBitForBit(_ double: Double) throws {
        let parsed = try JSONParser.parse(JSONValue.double(double).serialized())
        #expect(parsed == .double(double))
        #expect(parsed.doubleValue?.bitPattern == double.bitPattern)
    }

    @Test func stringEscaping() {
        #expect(JSONValue.string(#"say "hi""#).jsonString == #""say \"hi\"""#)
        #expect(JSONValue.string(#"a\b"#).jsonString == #""a\\b""#)
        #expect(JSONValue.string("\n\r\t\u{8}\u{C}").jsonString == #""\n\r\t\b\f""#)
        #expect(JSONValue.string("\u{0}\u{1}\u{1F}").jsonString == #""\u0000\u0001\u001f""#)
        #expect(JSONValue.string("a\u{1B}[0m").jsonString == #""a\u001b[0m""#)
    }

    @Test func slashesNonASCIIAndDeleteAreNotEscaped() {
        #expect(JSONValue.string("a/b</script>").jsonString == #""a/b</script>""#)
        #expect(JSONValue.string("é€😀 日本語").jsonString == "\"é€😀 日本語\"")
        #expect(JSONValue.string("\u{7F}").jsonString == "\"\u{7F}\"")
    }

    @Test func compactContainersInStoredKeyOrder() {
        let value: JSONValue = ["z": 1, "a": [true, nil, "x"], "m": ["inner": .object([:])]]
        #expect(value.jsonString == #"{"z":1,"a":[true,null,"x"],"m":{"inner":{}}}"#)
        #expect(JSONValue.array([]).jsonString == "[]")
        #expect(JSONValue.object([:]).jsonString == "{}")
    }

    @Test func keysAreEscaped() {
        let value: JSONValue = ["a\"b": 1, "line\nbreak": 2]
        #expect(value.jsonString == #"{"a\"b":1,"line\nbreak":2}"#)
    }

    @Test func writeAppendsToTheBuffer() {
        var buffer = Array("prefix:".utf8)
        JSONWriter.write(["k": 1], into: &buffer)
        JSONWriter.write(2, into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == #"prefix:{"k":1}2"#)
    }

    @Test func serializedMatchesJSONString() {
        let value: JSONValue = ["a": "é", "b": 1.5]
        #expect(value.serialized() == Array(value.jsonString.utf8))
    }

    @Test(arguments: [
        #"{"id":7,"tags":["x","y"],"meta":{"ok":true,"none":null,"ratio":0.25},"list":[[],{},[1,[2,[3]]]]}"#,
        #"["\"\\\/\b\f\n\r\t","\u0001","é😀",-9223372036854775808,1e-05,-0.0]"#,
        #"{"z":1,"a":2,"m":{"y":[],"x":{}}}"#,
        "9223372036854775808",
        #""\ud83d\ude00""#,
    ])
    func parseWriteParseRoundTrips(text: String) throws {
        let value = try JSONParser.parse(text)
        let written = value.serialized()
        #expect(try JSONParser.parse(written) == value)
    }

    @Test(arguments: [
        #"{"z":1,"a":[true,null,"x"],"m":{"inner":{}}}"#,
        #"[1,-2,1.5,1e-05,"a\"b\\c\n",{}]"#,
        #"{"emoji":"😀","path":"a/b","ctl":"\u0001"}"#,
    ])
    func canonicalDocumentsRewriteByteForByte(text: String) throws {
        #expect(try JSONParser.parse(text).jsonString == text)
    }

    @Test func everyStringOfLowCodePointsRoundTrips() throws {
        let scalars = (UInt32(0x01)...0x7F).compactMap { Unicode.Scalar($0) }.map(Character.init)
        let value = JSONValue.string(String(scalars) + "é\u{2028}\u{FFFF}\u{10FFFF}")
        #expect(try JSONParser.parse(value.serialized()) == value)
    }
}
