import PlexusCore
import Testing

struct FormURLEncodedTests {
    static func decode(_ text: String) throws -> [String] {
        try FormURLEncoded.decode(Array(text.utf8)).map { "\($0.0)=\($0.1)" }
    }

    static func refusal(_ bytes: [UInt8]) -> PlexusError? {
        do {
            _ = try FormURLEncoded.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func decodesPlusPercentAndUTF8() throws {
        #expect(try Self.decode("a=1&b=hello+world&c=%26%3D%2B%25") == ["a=1", "b=hello world", "c=&=+%"])
        #expect(try Self.decode("name=J%C3%BCrgen&emoji=%F0%9F%91%8D&lower=%c3%a9") == ["name=Jürgen", "emoji=👍", "lower=é"])
        #expect(try Self.decode("na+me%21=v") == ["na me!=v"])
        // `=` inside a value is part of it; only the first one splits.
        #expect(try Self.decode("k=a=b") == ["k=a=b"])
    }

    @Test func keepsOrderRepeatsAndEmptyValues() throws {
        #expect(try Self.decode("x=1&x=2&y&z=") == ["x=1", "x=2", "y=", "z="])
        #expect(try Self.decode("&&a=1&&") == ["a=1"])
        #expect(try Self.decode("") == [])
        #expect(try Self.decode("=v") == ["=v"])
    }

    @Test func refusesInvalidEscapesNamingTheField() {
        let cases: [(String, String)] = [
            ("a=1&note=50%", #"form field "note" has an invalid percent escape "%" at byte 2"#),
            ("note=%zz", #"form field "note" has an invalid percent escape "%zz" at byte 0"#),
            ("note=%4", #"form field "note" has an invalid percent escape "%4" at byte 0"#),
            ("a=1&b%g1=2", #"the name of form field 2 has an invalid percent escape "%g1" at byte 1"#),
        ]
        for (body, message) in cases {
            let error = Self.refusal(Array(body.utf8))
            #expect(error?.code == .invalidField, "\(body)")
            #expect(error?.message == message, "\(body)")
        }
    }

    @Test func refusesInvalidUTF8AndNUL() {
        #expect(Self.refusal(Array("v=%FF%FE".utf8))?.message == #"form field "v" is not valid UTF-8 once decoded"#)
        #expect(Self.refusal(Array("v=%C3".utf8))?.message == #"form field "v" is not valid UTF-8 once decoded"#)
        #expect(Self.refusal(Array("v=".utf8) + [0xC3])?.message == #"form field "v" is not valid UTF-8 once decoded"#)
        #expect(Self.refusal(Array("%ED%A0%80=1".utf8))?.message == "the name of form field 1 is not valid UTF-8 once decoded")
        #expect(Self.refusal(Array("v=a%00b".utf8))?.message == #"form field "v" contains U+0000, which cannot be stored"#)
    }

    @Test func boundsTheNumberOfFields() throws {
        let atLimit = Array(repeating: "a=1", count: FormURLEncoded.maxFields).joined(separator: "&")
        #expect(try FormURLEncoded.decode(Array(atLimit.utf8)).count == 1000)
        let error = Self.refusal(Array((atLimit + "&b=2").utf8))
        #expect(error?.code == .tooLarge)
        #expect(error?.message == "the form has more than 1000 fields")
        // Empty segments do not count.
        #expect(try FormURLEncoded.decode(Array((atLimit + "&&&").utf8)).count == 1000)
    }
}
