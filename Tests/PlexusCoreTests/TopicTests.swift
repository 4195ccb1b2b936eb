import Testing
@testable import PlexusCore

@Suite struct TopicTests {
    @Test(arguments: ["a", "agents.alpha.events", "a.b-c_d.e9", "ünïcode.topic"])
    func validTopics(_ text: String) throws {
        #expect(try Topic(text).value == text)
    }

    @Test(arguments: [
        ("", "empty"), ("a..b", "empty token"), (".a", "empty token"), ("a.", "empty token"),
        ("a b", "whitespace"), ("a\r\nb", "control character"), ("a\u{0}b", "control character"),
        ("a.*", "wildcard"), ("a.>", "wildcard"), ("a\tb", "whitespace"),
    ])
    func invalidTopics(_ text: String, _ reason: String) {
        #expect {
            _ = try Topic(text)
        } throws: { error in
            let error = error as! PlexusError
            return error.code == .invalidTopic && error.message.contains(reason)
        }
    }

    @Test func tooLongTopic() {
        #expect(throws: PlexusError.self) { try Topic(String(repeating: "a", count: 257)) }
    }

    @Test(arguments: [
        ("a.b.c", "a.b.c", true), ("a.b.c", "a.b", false), ("a.b", "a.b.c", false),
        ("a.*.c", "a.x.c", true), ("a.*.c", "a.x.y.c", false), ("a.*", "a", false),
        ("a.>", "a.b", true), ("a.>", "a.b.c.d", true), ("a.>", "a", false),
        (">", "anything.at.all", true), ("*", "one", true), ("*", "one.two", false),
        ("*.b.>", "x.b.y", true), ("*.b.>", "x.c.y", false), ("a.b", "a.bc", false),
    ])
    func patternMatching(_ pattern: String, _ topic: String, _ expected: Bool) throws {
        #expect(try TopicPattern(pattern).matches(Topic(topic)) == expected)
    }

    @Test(arguments: ["a.>.b", "a*.b", "a.b*", "a.>x", "a..*"])
    func invalidPatterns(_ text: String) {
        #expect(throws: PlexusError.self) { try TopicPattern(text) }
    }

    @Test func literalPrefix() throws {
        #expect(try TopicPattern("a.b.*.d").literalPrefix == "a.b")
        #expect(try TopicPattern("a.b").isLiteral)
        #expect(try !TopicPattern("a.>").isLiteral)
        #expect(try TopicPattern(">").literalPrefix == "")
    }
}
