@testable import PlexusSessions
import Testing

/// The protocol steps without sockets: each reply in, the expected action out.
@Suite("SMTP conversation state machine")
struct SMTPConversationTests {
    private func line(_ text: String) -> [UInt8] { Array((text + "\r\n").utf8) }
    private func reply(_ code: Int, _ lines: String...) -> SMTPReply { SMTPReply(code: code, lines: lines.isEmpty ? [""] : lines) }

    private let message = SMTPMessage(from: "a@x.org", to: ["b@y.org", "c@z.org"], data: Array("Subject: s\r\n\r\n.hi".utf8))

    @Test func happyPathWithAuth() throws {
        var c = try SMTPConversation(message: message, credentials: SMTPCredentials(username: "u", password: "p"), heloName: "me.test")
        #expect(c.onReply(reply(220, "hi")) == .send(line("EHLO me.test")))
        #expect(c.onReply(reply(250, "hello", "AUTH=LOGIN PLAIN")) == .send(line("AUTH PLAIN AHUAcA==")))
        #expect(c.onReply(reply(235)) == .send(line("MAIL FROM:<a@x.org>")))
        #expect(c.onReply(reply(250)) == .send(line("RCPT TO:<b@y.org>")))
        #expect(c.onReply(reply(251)) == .send(line("RCPT TO:<c@z.org>")))
        #expect(c.onReply(reply(250)) == .send(line("DATA")))
        #expect(c.onReply(reply(354)) == .send(Array("Subject: s\r\n\r\n..hi\r\n.\r\n".utf8)))
        #expect(!c.isDone)
        #expect(c.onReply(reply(250)) == .succeed(thenSend: line("QUIT")))
        #expect(c.isDone)
        #expect(c.onFailure(SMTPError(.data, "closed", permanent: false)) == .close)
    }

    @Test func ehloRefusedWith5xxFallsBackToHelo() throws {
        var c = try SMTPConversation(message: message, credentials: nil, heloName: "me.test")
        _ = c.onReply(reply(220))
        #expect(c.onReply(reply(500, "what")) == .send(line("HELO me.test")))
        #expect(c.onReply(reply(250)) == .send(line("MAIL FROM:<a@x.org>")))
    }

    @Test func ehloRefusedWith4xxIsTemporary() throws {
        var c = try SMTPConversation(message: message, credentials: nil, heloName: "me.test")
        _ = c.onReply(reply(220))
        let error = SMTPError(.ehlo, code: 421, "EHLO refused: 421 busy", permanent: false)
        #expect(c.onReply(reply(421, "busy")) == .fail(error, sendQuit: true))
    }

    @Test func sizeIsDeclaredWhenAdvertised() throws {
        var c = try SMTPConversation(message: message, credentials: nil, heloName: "me.test")
        _ = c.onReply(reply(220))
        #expect(c.onReply(reply(250, "hello", "SIZE 100")) == .send(line("MAIL FROM:<a@x.org> SIZE=\(message.data.count)")))
        #expect(c.extensions["SIZE"] == ["100"])
    }

    @Test func hangUpNamesWhatWasAwaited() throws {
        var c = try SMTPConversation(message: message, credentials: nil, heloName: "me.test")
        _ = c.onReply(reply(220))
        _ = c.onReply(reply(250))
        _ = c.onReply(reply(250))
        #expect(c.awaiting == "the reply to RCPT TO <b@y.org>")
        #expect(c.stage == .recipient)
    }

    @Test func dotStuffing() {
        #expect(SMTPConversation.dotStuffed(Array(".".utf8)) == Array("..\r\n.\r\n".utf8))
        #expect(SMTPConversation.dotStuffed(Array("a\r\n".utf8)) == Array("a\r\n.\r\n".utf8))
        #expect(SMTPConversation.dotStuffed(Array("a\n.b\r.c\r\n".utf8)) == Array("a\r\n..b\r\n..c\r\n.\r\n".utf8))
        #expect(SMTPConversation.dotStuffed([]) == Array(".\r\n".utf8))
    }
}
