import PlexusSessions
import Testing

@Suite("SMTP reply parser")
struct SMTPReplyParserTests {
    private func parse(_ text: String) throws(SMTPError) -> [SMTPReply] {
        var parser = SMTPReplyParser()
        return try parser.feed(Array(text.utf8))
    }

    @Test func multiLineReply() throws {
        let replies = try parse("250-mail.example greets you\r\n250-SIZE 1000\r\n250 AUTH PLAIN LOGIN\r\n")
        #expect(replies == [SMTPReply(code: 250, lines: ["mail.example greets you", "SIZE 1000", "AUTH PLAIN LOGIN"])])
    }

    @Test func codeWithoutTextAndBareLineFeeds() throws {
        #expect(try parse("250\r\n354 go\n") == [SMTPReply(code: 250, lines: [""]), SMTPReply(code: 354, lines: ["go"])])
    }

    @Test func replySplitAcrossReadsAtEveryByte() throws {
        let wire = Array("220-first\r\n220 second\r\n".utf8)
        var parser = SMTPReplyParser()
        var replies: [SMTPReply] = []
        for byte in wire {
            replies += try parser.feed([byte])
            if replies.isEmpty { #expect(parser.hasPartialReply) }
        }
        #expect(replies == [SMTPReply(code: 220, lines: ["first", "second"])])
        #expect(!parser.hasPartialReply)
    }

    @Test func controlCharactersAreNeutralised() throws {
        let replies = try parse("550 evil\u{1B}[31m\tX\r\n")
        #expect(replies.first?.lines == ["evil?[31m?X"])
    }

    @Test(arguments: [
        "hello\r\n",            // no code
        "25\r\n",               // too short
        "650 nope\r\n",         // first digit out of range
        "250_x\r\n",            // bad separator
        "250-a\r\n251 b\r\n",   // code changes mid-reply
    ])
    func malformedRepliesAreViolations(_ text: String) {
        #expect(throws: SMTPError.self) { try parse(text) }
        do {
            _ = try parse(text)
        } catch {
            #expect(error.stage == .protocolViolation)
        }
    }

    @Test func lineLengthIsBounded() throws {
        var parser = SMTPReplyParser(maxLineLength: 1000)
        _ = try parser.feed(Array(("250 " + String(repeating: "a", count: 996) + "\r\n").utf8))
        #expect(throws: SMTPError.self) {
            _ = try parser.feed(Array(("250 " + String(repeating: "a", count: 997) + "\r\n").utf8))
        }
        // A line that never ends is cut off too, not buffered.
        var endless = SMTPReplyParser(maxLineLength: 1000)
        #expect(throws: SMTPError.self) {
            _ = try endless.feed(Array(repeating: UInt8(ascii: "2"), count: 1002))
        }
    }

    @Test func lineCountIsBounded() throws {
        let hundred = String(repeating: "250-x\r\n", count: 99) + "250 x\r\n"
        #expect(try parse(hundred).first?.lines.count == 100)
        let more = String(repeating: "250-x\r\n", count: 100) + "250 x\r\n"
        #expect(throws: SMTPError.self) { try parse(more) }
    }

    @Test func quotedReplyIsCut() {
        let reply = SMTPReply(code: 550, lines: [String(repeating: "z", count: 500)])
        #expect(reply.quoted.count == SMTPError.maxQuotedReply)
        #expect(reply.quoted.hasPrefix("550 zzz"))
        #expect(SMTPReply(code: 550, lines: ["a", "", "b"]).quoted == "550 a b")
    }
}
