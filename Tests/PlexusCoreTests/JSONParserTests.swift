import Collections
import PlexusCore
import Testing

/// One input the parser must refuse, with the code and offset it must report.
struct JSONRejection: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let code: JSONError.Code
    let offset: Int

    init(_ name: String, _ text: String, _ code: JSONError.Code, at offset: Int) {
        self.init(name, Array(text.utf8), code, at: offset)
    }

    init(_ name: String, _ bytes: [UInt8], _ code: JSONError.Code, at offset: Int) {
        self.name = name
        self.bytes = bytes
        self.code = code
        self.offset = offset
    }

    var testDescription: String { name }
}

@discardableResult
private func expectRejected(
    _ bytes: [UInt8], _ code: JSONError.Code, at offset: Int? = nil, limits: JSONLimits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) -> JSONError? {
    let error = #expect(throws: JSONError.self, sourceLocation: sourceLocation) {
        try JSONParser.parse(bytes, limits: limits)
    }
    #expect(error?.code == code, "\(error?.message ?? "no error")", sourceLocation: sourceLocation)
    if let offset {
        #expect(error?.offset == offset, "\(error?.message ?? "no error")", sourceLocation: sourceLocation)
    }
    return error
}

@discardableResult
private func expectRejected(
    _ text: String, _ code: JSONError.Code, at offset: Int? = nil, limits: JSONLimits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) -> JSONError? {
    expectRejected(Array(text.utf8), code, at: offset, limits: limits, sourceLocation: sourceLocation)
}

private func nested(_ depth: Int) -> String {
    String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
}

@Suite("JSONParser")
struct JSONParserTests {
    // MARK: - Accepted documents

    @Test func scalars() throws {
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse("true") == .bool(true))
        #expect(try JSONParser.parse("false") == .bool(false))
        #expect(try JSONParser.parse("0") == .integer(0))
        #expect(try JSONParser.parse("-0") == .integer(0))
        #expect(try JSONParser.parse("42") == .integer(42))
        #expect(try JSONParser.parse("-42") == .integer(-42))
        #expect(try JSONParser.parse("1.5") == .double(1.5))
        #expect(try JSONParser.parse("1e3") == .double(1000))
        #expect(try JSONParser.parse("1E+2") == .double(100))
        #expect(try JSONParser.parse("2.5e-3") == .double(0.0025))
        #expect(try JSONParser.parse("-0.0") == .double(-0.0))
        #expect(try JSONParser.parse("\"hi\"") == .string("hi"))
        #expect(try JSONParser.parse("\"\"") == .string(""))
    }

    @Test func whitespaceAroundAndInside() throws {
        let value = try JSONParser.parse(" \t\r\n{ \"a\" :\n[ 1 ,\t2 ] , \"b\" : { } , \"c\":[ ]}\n ")
        #expect(value == ["a": [1, 2], "b": .object([:]), "c": []])
    }

    @Test func nestedStructure() throws {
        let text = #"{"id":7,"tags":["x","y"],"meta":{"ok":true,"none":null,"ratio":0.25},"list":[[],{},[1,[2,[3]]]]}"#
        let expected: JSONValue = [
            "id": 7, "tags": ["x", "y"], "meta": ["ok": true, "none": nil, "ratio": 0.25],
            "list": [[], .object([:]), [1, [2, [3]]]],
        ]
        #expect(try JSONParser.parse(text) == expected)
    }

    @Test func keyOrderIsPreserved() throws {
        let value = try JSONParser.parse(#"{"z":1,"a":2,"m":3,"b":{"y":0,"x":0}}"#)
        #expect(value.objectValue.map { Array($0.keys) } == ["z", "a", "m", "b"])
        #expect(value["b"]?.objectValue.map { Array($0.keys) } == ["y", "x"])
    }

    @Test func integerBoundaries() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .integer(.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .integer(.min))
        #expect(try JSONParser.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONParser.parse("-9223372036854775809") == .double(-0x1p63))
        #expect(try JSONParser.parse("18446744073709551616") == .double(18_446_744_073_709_551_616))
        let hundredDigits = "1" + String(repeating: "0", count: 99)
        #expect(try JSONParser.parse(hundredDigits) == .double(1e99))
    }

    @Test func fractionOrExponentAlwaysGivesDouble() throws {
        #expect(try JSONParser.parse("1.0") == .double(1))
        #expect(try JSONParser.parse("1e0") == .double(1))
        #expect(try JSONParser.parse("0e0") == .double(0))
    }

    @Test(arguments: [
        "0.1", "0.2", "0.30000000000000004", "3.141592653589793", "2.718281828459045", "1e22", "1e23",
        "9007199254740993", "9007199254740993.0", "123456789012345678901234567890.5", "1.7976931348623157e308",
        "2.2250738585072014e-308", "4.9e-324", "5e-324", "1e-400", "-1.5e-10", "0.000000000000000000001",
        "12345.6789e-3", "100000000000000000000000e-2", "8.98846567431158e307",
    ])
    func doublesAreCorrectlyRounded(text: String) throws {
        let value = try JSONParser.parse(text)
        let expected = try #require(Double(text))
        #expect(value.doubleValue?.bitPattern == expected.bitPattern, "\(text)")
    }

    @Test func hugeNumbersAreOutOfRange() {
        expectRejected("1e999", .numberOutOfRange, at: 0)
        expectRejected("[-1e999]", .numberOutOfRange, at: 1)
        expectRejected("1.8e308", .numberOutOfRange, at: 0)
        expectRejected("1" + String(repeating: "0", count: 400), .numberOutOfRange, at: 0)
        expectRejected("1e99999999999999999999999", .numberOutOfRange, at: 0)
    }

    @Test func tinyNumbersUnderflowToZero() throws {
        #expect(try JSONParser.parse("1e-99999999999999999999") == .double(0))
    }

    @Test func stringEscapes() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\be\ff\ng\rh\ti""#) == .string("a\"b\\c/d\u{8}e\u{C}f\ng\rh\ti"))
        #expect(try JSONParser.parse(#""\u0041\u00e9\u20AC\uFFFF""#) == .string("Aé€\u{FFFF}"))
        #expect(try JSONParser.parse(#""\u0001\u001f""#) == .string("\u{1}\u{1F}"))
    }

    @Test func surrogatePairsDecodeToOneScalar() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONParser.parse(#""\uD83D\uDE00!""#) == .string("😀!"))
        #expect(try JSONParser.parse(#""\udbff\udfff""#) == .string("\u{10FFFF}"))
        #expect(try JSONParser.parse(#""\ud800\udc00""#) == .string("\u{10000}"))
        #expect(try JSONParser.parse(#"{"\ud83d\udc4d":1}"#) == ["👍": 1])
    }

    @Test func rawUTF8() throws {
        #expect(try JSONParser.parse("\"é€😀 日本語\"") == .string("é€😀 日本語"))
        #expect(try JSONParser.parse("\"é\\n😀\\u00e9x\"") == .string("é\n😀éx"))
        #expect(try JSONParser.parse(Array("\"\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}\"".utf8))
            == .string("\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}"))
    }

    @Test func topLevelScalarsWithWhitespace() throws {
        #expect(try JSONParser.parse("  \"x\"  ") == .string("x"))
        #expect(try JSONParser.parse("\n7\n") == .integer(7))
    }

    @Test func allEntryPointsAgree() throws {
        let text = #"{"a":[1,"é",null]}"#
        let expected: JSONValue = ["a": [1, "é", nil]]
        let bytes = Array(text.utf8)
        #expect(try JSONParser.parse(text) == expected)
        #expect(try JSONParser.parse(text[...]) == expected)
        #expect(try JSONParser.parse(bytes) == expected)
        #expect(try JSONParser.parse(bytes[...]) == expected)
        #expect(try JSONParser.parse(bytes.lazy.map { $0 }) == expected)
        let viaPointer = try bytes.withUnsafeBytes { raw in try JSONParser.parse(raw) }
        #expect(viaPointer == expected)
    }

    @Test func sliceOffsetsAreRelativeToTheSlice() {
        let bytes = Array("xx[1,]".utf8)
        let error = #expect(throws: JSONError.self) { try JSONParser.parse(bytes[2...]) }
        #expect(error?.offset == 3)
    }

    // MARK: - Rejections

    @Test(arguments: [
        // empty
        JSONRejection("empty input", "", .empty, at: 0),
        JSONRejection("whitespace only", " \n\t ", .empty, at: 0),
        // UTF-8
        JSONRejection("0xFF outside a string", [0xFF], .invalidUTF8, at: 0),
        JSONRejection("stray continuation byte", [0x22, 0x80, 0x22], .invalidUTF8, at: 1),
        JSONRejection("overlong 2-byte", [0x22, 0xC0, 0xAF, 0x22], .invalidUTF8, at: 1),
        JSONRejection("overlong NUL", [0x22, 0xC0, 0x80, 0x22], .invalidUTF8, at: 1),
        JSONRejection("overlong 3-byte", [0x22, 0xE0, 0x80, 0xAF, 0x22], .invalidUTF8, at: 1),
        JSONRejection("overlong 4-byte", [0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22], .invalidUTF8, at: 1),
        JSONRejection("UTF-8 encoded high surrogate", [0x22, 0xED, 0xA0, 0x80, 0x22], .invalidUTF8, at: 1),
        JSONRejection("UTF-8 encoded low surrogate", [0x22, 0xED, 0xBF, 0xBF, 0x22], .invalidUTF8, at: 1),
        JSONRejection("code point above U+10FFFF", [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], .invalidUTF8, at: 1),
        JSONRejection("lead byte 0xF5", [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], .invalidUTF8, at: 1),
        JSONRejection("byte 0xFE", [0x22, 0x41, 0xFE, 0x22], .invalidUTF8, at: 2),
        JSONRejection("truncated before the quote", [0x22, 0xE2, 0x82, 0x22], .invalidUTF8, at: 1),
        JSONRejection("truncated at end of input", [0x22, 0xE2, 0x82], .invalidUTF8, at: 1),
        JSONRejection("truncated 4-byte", [0x22, 0xF0, 0x9F, 0x98, 0x22], .invalidUTF8, at: 1),
        JSONRejection("invalid after an escape", [0x22, 0x5C, 0x6E, 0xFF, 0x22], .invalidUTF8, at: 3),
        JSONRejection("invalid in a key", [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], .invalidUTF8, at: 2),
        JSONRejection("invalid before a control character", [0x22, 0xFF, 0x01, 0x22], .invalidUTF8, at: 1),
        // surrogate escapes
        JSONRejection("lone high surrogate", #""\ud800""#, .loneSurrogate, at: 1),
        JSONRejection("high surrogate then text", #""\ud83dxyzxyz""#, .loneSurrogate, at: 1),
        JSONRejection("high surrogate then non-surrogate escape", #""\ud800\u0041""#, .loneSurrogate, at: 1),
        JSONRejection("high surrogate then high surrogate", #""\ud800\ud800""#, .loneSurrogate, at: 1),
        JSONRejection("lone low surrogate", #""\udc00""#, .loneSurrogate, at: 1),
        JSONRejection("reversed pair", #""ab\ude00\ud83d""#, .loneSurrogate, at: 3),
        JSONRejection("high surrogate then bad hex", #""\ud800\uZZZZ""#, .invalidEscape, at: 7),
        // NUL and control characters
        JSONRejection("escaped NUL", #""a\u0000b""#, .nulCharacter, at: 2),
        JSONRejection("escaped NUL in a key", #"{"\u0000":1}"#, .nulCharacter, at: 2),
        JSONRejection("raw NUL", [0x22, 0x61, 0x00, 0x22], .nulCharacter, at: 2),
        JSONRejection("raw tab", "\"a\tb\"", .controlCharacter, at: 2),
        JSONRejection("raw newline", "\"a\nb\"", .controlCharacter, at: 2),
        JSONRejection("raw 0x1F after an escape", [0x22, 0x5C, 0x74, 0x1F, 0x22], .controlCharacter, at: 3),
        // escapes
        JSONRejection("unknown escape", #""\x41""#, .invalidEscape, at: 1),
        JSONRejection("single-quote escape", #""\'""#, .invalidEscape, at: 1),
        JSONRejection("short unicode escape", #""\u12""#, .invalidEscape, at: 1),
        JSONRejection("non-hex unicode escape", #""\u12G4""#, .invalidEscape, at: 1),
        // duplicate keys
        JSONRejection("duplicate key", #"{"a":1,"a":2}"#, .duplicateKey, at: 7),
        JSONRejection("duplicate key, nested", #"{"x":{"b":1,"c":2,"b":3}}"#, .duplicateKey, at: 18),
        JSONRejection("duplicate key spelled differently", #"{"a":1,"\u0061":2}"#, .duplicateKey, at: 7),
        JSONRejection("duplicate key before a bad value", #"{"a":1,"a":[1,]}"#, .duplicateKey, at: 7),
        JSONRejection("duplicate key before a missing colon", #"{"a":1,"a"}"#, .duplicateKey, at: 7),
        // trailing data
        JSONRejection("two values", "1 2", .trailingData, at: 2),
        JSONRejection("extra bracket", "[1]]", .trailingData, at: 3),
        JSONRejection("object then garbage", "{} x", .trailingData, at: 3),
        JSONRejection("literal run-on", "nullx", .trailingData, at: 4),
        JSONRejection("hex number", "0x10", .trailingData, at: 1),
        JSONRejection("trailing NUL byte", [0x31, 0x00], .trailingData, at: 1),
        // numbers
        JSONRejection("NaN", "NaN", .invalidNumber, at: 0),
        JSONRejection("Infinity", "Infinity", .invalidNumber, at: 0),
        JSONRejection("-Infinity", "-Infinity", .invalidNumber, at: 0),
        JSONRejection("NaN in an array", "[1,NaN]", .invalidNumber, at: 3),
        JSONRejection("leading plus", "+1", .invalidNumber, at: 0),
        JSONRejection("bare dot", ".5", .invalidNumber, at: 0),
        JSONRejection("leading zero", "01", .invalidNumber, at: 0),
        JSONRejection("negative leading zero", "-01", .invalidNumber, at: 0),
        JSONRejection("double zero", "[00]", .invalidNumber, at: 1),
        JSONRejection("dot without fraction", "1.", .invalidNumber, at: 0),
        JSONRejection("dot before exponent", "1.e5", .invalidNumber, at: 0),
        JSONRejection("empty exponent", "1e", .invalidNumber, at: 0),
        JSONRejection("signed empty exponent", "1e+", .invalidNumber, at: 0),
        JSONRejection("lone minus", "-", .invalidNumber, at: 0),
        JSONRejection("minus then letter", "-a", .invalidNumber, at: 0),
        // structure
        JSONRejection("unclosed array", "[", .unexpectedEnd, at: 1),
        JSONRejection("array ends after comma", "[1,", .unexpectedEnd, at: 3),
        JSONRejection("object ends after key", #"{"a""#, .unexpectedEnd, at: 4),
        JSONRejection("object ends after colon", #"{"a":"#, .unexpectedEnd, at: 5),
        JSONRejection("unterminated string", #""abc"#, .unexpectedEnd, at: 4),
        JSONRejection("unterminated escape", #""ab\"#, .unexpectedEnd, at: 4),
        JSONRejection("truncated literal", "tru", .unexpectedEnd, at: 3),
        JSONRejection("misspelled literal", "trve", .unexpectedCharacter, at: 0),
        JSONRejection("capitalised literal", "True", .unexpectedCharacter, at: 0),
        JSONRejection("trailing comma in array", "[1,]", .unexpectedCharacter, at: 3),
        JSONRejection("trailing comma in object", #"{"a":1,}"#, .unexpectedCharacter, at: 7),
        JSONRejection("leading comma", "[,1]", .unexpectedCharacter, at: 1),
        JSONRejection("missing comma", "[1 2]", .unexpectedCharacter, at: 3),
        JSONRejection("unquoted key", "{a:1}", .unexpectedCharacter, at: 1),
        JSONRejection("numeric key", "{1:1}", .unexpectedCharacter, at: 1),
        JSONRejection("missing colon", #"{"a" 1}"#, .unexpectedCharacter, at: 5),
        JSONRejection("single quotes", "'a'", .unexpectedCharacter, at: 0),
        JSONRejection("comment", "// hi\n1", .unexpectedCharacter, at: 0),
        JSONRejection("byte order mark", [0xEF, 0xBB, 0xBF, 0x31], .unexpectedCharacter, at: 0),
        JSONRejection("mismatched brackets", "[1}", .unexpectedCharacter, at: 2),
        JSONRejection("vertical tab is not whitespace", "\u{0B}1", .unexpectedCharacter, at: 0),
    ])
    func rejects(_ rejection: JSONRejection) {
        expectRejected(rejection.bytes, rejection.code, at: rejection.offset)
    }

    // MARK: - Depth

    @Test func depthUpToTheLimitIsAccepted() throws {
        let value = try JSONParser.parse(nested(64))
        var depth = 0
        var current = value
        while case .array(let elements) = current {
            depth += 1
            current = elements.first ?? .null
        }
        #expect(depth == 64)
    }

    @Test func oneLevelPastTheLimitIsTooDeep() {
        let error = expectRejected(nested(65), .tooDeep, at: 64)
        #expect(error?.message == "JSON nested deeper than 64 levels at byte 64")
    }

    @Test func tenThousandDeepArraysFailFastWithoutRecursing() {
        expectRejected(String(repeating: "[", count: 10_000), .tooDeep, at: 64)
        expectRejected(nested(10_000), .tooDeep, at: 64)
    }

    @Test func tenThousandDeepObjectsFailFast() {
        let text = String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        expectRejected(text, .tooDeep, at: 64 * 5)
    }

    @Test func customDepthLimit() throws {
        let limits = JSONLimits(maxDepth: 2)
        #expect(try JSONParser.parse(#"{"a":[1]}"#, limits: limits) == ["a": [1]])
        expectRejected(#"{"a":[{}]}"#, .tooDeep, at: 6, limits: limits)
        let scalarsOnly = JSONLimits(maxDepth: 0)
        #expect(try JSONParser.parse("1", limits: scalarsOnly) == 1)
        expectRejected("[]", .tooDeep, at: 0, limits: scalarsOnly)
    }

    // MARK: - String length

    @Test func stringLengthLimit() throws {
        let limits = JSONLimits(maxStringBytes: 3)
        #expect(try JSONParser.parse(#"["abc","\u00e9"]"#, limits: limits) == ["abc", "é"])
        expectRejected(#"["abcd"]"#, .stringTooLong, at: 1, limits: limits)
        expectRejected(#"{"abcd":1}"#, .stringTooLong, at: 1, limits: limits)
        expectRejected(#""\u00e9\u00e9""#, .stringTooLong, at: 0, limits: limits)
    }

    // MARK: - Messages

    @Test func messagesNameTheProblemAndTheByte() {
        #expect(expectRejected(#"{"a":1,"a":2}"#, .duplicateKey)?.message == #"duplicate key "a" at byte 7"#)
        #expect(expectRejected("[1,]", .unexpectedCharacter)?.message == "unexpected character ']' at byte 3: expected a JSON value")
        #expect(expectRejected([0x22, 0xC0, 0xAF, 0x22], .invalidUTF8)?.message.contains("overlong") == true)
        #expect(expectRejected([0x22, 0xED, 0xA0, 0x80, 0x22], .invalidUTF8)?.message.contains("surrogate") == true)
        #expect(expectRejected([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], .invalidUTF8)?.message.contains("U+10FFFF") == true)
        #expect(expectRejected([0x22, 0xE2, 0x82, 0x22], .invalidUTF8)?.message.contains("truncated") == true)
        #expect(expectRejected(#""\ud800""#, .loneSurrogate)?.message.contains(#"\uD800"#) == true)
        #expect(expectRejected("1 2", .trailingData)?.message.contains("byte 2") == true)
    }

    @Test func duplicateKeyMessageEscapesAndShortensTheKey() {
        let longKey = String(repeating: "k", count: 500)
        let error = expectRejected(#"{"\#(longKey)":1,"\#(longKey)":2}"#, .duplicateKey)
        #expect((error?.message.count ?? .max) < 120)
        let quoteKey = expectRejected(#"{"a\"b":1,"a\"b":2}"#, .duplicateKey)
        #expect(quoteKey?.message == #"duplicate key "a\"b" at byte 10"#)
    }

    // MARK: - Generated inputs

    /// SplitMix64, inline so the test owns its whole input: the same seed always gives the same cases.
    private static func generator(seed: UInt64) -> () -> UInt64 {
        var state = seed
        return {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func stringUTF8ValidationAgreesWithTheStandardLibrary() throws {
        let next = Self.generator(seed: 1)
        let pool: [UInt8] = [
            0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED,
            0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ]
        for _ in 0..<5_000 {
            let length = Int(next() % 10) + 1
            let body = (0..<length).map { _ in pool[Int(next() % UInt64(pool.count))] }
            // Long enough to cross the eight-byte fast path with the interesting bytes at any alignment.
            let padding = Array(repeating: UInt8(ascii: "x"), count: Int(next() % 9))
            let document = [UInt8(ascii: "\"")] + padding + body + padding + [UInt8(ascii: "\"")]
            if let expected = String(validating: padding + body + padding, as: UTF8.self) {
                #expect(try JSONParser.parse(document) == .string(expected), "\(body)")
            } else {
                let error = #expect(throws: JSONError.self, "\(body)") { try JSONParser.parse(document) }
                #expect(error?.code == .invalidUTF8, "\(body)")
            }
        }
    }

    @Test func randomDocumentsNeverCrashAndRoundTripWhenAccepted() throws {
        let next = Self.generator(seed: 2)
        let alphabet = Array(#"[]{}"",,::0123456789-+.eE tfnrulsa\u\"#.utf8) + [0x00, 0x0A, 0x7F, 0xC3, 0xA9, 0xED, 0xF0]
        var accepted = 0
        for _ in 0..<5_000 {
            let length = Int(next() % 16) + 1
            let document = (0..<length).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            do {
                let value = try JSONParser.parse(document)
                accepted += 1
                #expect(try JSONParser.parse(value.serialized()) == value)
            } catch {
                #expect((0...document.count).contains(error.offset), "\(error)")
            }
        }
        #expect(accepted > 0)
    }

    @Test func mutatedDocumentsNeverCrash() throws {
        let next = Self.generator(seed: 3)
        let original = Array(#"{"id":7,"tags":["x","\u00e9\ud83d\ude00"],"meta":{"ok":true,"n":null,"r":-0.25e-3}}"#.utf8)
        for _ in 0..<5_000 {
            var document = original
            for _ in 0..<Int(next() % 3) + 1 {
                document[Int(next() % UInt64(document.count))] = UInt8(truncatingIfNeeded: next())
            }
            if let value = try? JSONParser.parse(document) {
                #expect(try JSONParser.parse(value.serialized()) == value)
            }
        }
    }

    @Test func descriptionIncludesTheCode() {
        let error = JSONError(code: .tooDeep, offset: 3, message: "JSON nested deeper than 2 levels at byte 3")
        #expect(error.description == "invalid JSON (tooDeep): JSON nested deeper than 2 levels at byte 3")
    }
}
