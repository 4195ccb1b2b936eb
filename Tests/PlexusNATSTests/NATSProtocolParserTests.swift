import NIOCore
import Testing
@testable import PlexusNATS

@Suite struct NATSProtocolParserTests {
    static let infoLine = #"INFO {"server_id":"NABC","server_name":"n1","version":"2.9.10","proto":1,"headers":true,"max_payload":1048576,"auth_required":true,"tls_required":false,"tls_available":true,"connect_urls":["10.0.0.1:4222"],"nonce":"xyz","jetstream":true,"some_future_field":{"x":[1,2]}}"# + "\r\n"

    func parse(_ text: String, parser: NATSProtocolParser = NATSProtocolParser()) throws(NATSProtocolError) -> [NATSServerOp] {
        var parser = parser
        var buffer = bytes(text)
        return try parser.feed(&buffer)
    }

    func parseError(_ text: String, maxPayload: Int = 1_048_576) -> NATSProtocolError? {
        var parser = NATSProtocolParser(maxPayload: maxPayload)
        var buffer = bytes(text)
        do {
            _ = try parser.feed(&buffer)
            return nil
        } catch {
            return error
        }
    }

    /// One of every op, for the split tests.
    static var everyOp: String {
        let headers = "NATS/1.0\r\nNats-Msg-Id: a1\r\nX-Multi: one\r\nX-Multi: two\r\n\r\n"
        let status = "NATS/1.0 503\r\n\r\n"
        return infoLine
            + "MSG orders.new 7 5\r\nhello\r\n"
            + "MSG orders.new 7 _INBOX.abc.1 0\r\n\r\n"
            + "HMSG with.headers 8 reply.to \(headers.utf8.count) \(headers.utf8.count + 4)\r\n\(headers)body\r\n"
            + "HMSG _INBOX.x.1 9 \(status.utf8.count) \(status.utf8.count)\r\n\(status)\r\n"
            + "PING\r\nPONG\r\n+OK\r\n-ERR 'Unknown Protocol Operation'\r\n"
    }

    @Test func info() throws {
        let ops = try parse(Self.infoLine)
        guard case .info(let info)? = ops.first, ops.count == 1 else { Issue.record("not one INFO: \(ops)"); return }
        #expect(info.serverID == "NABC")
        #expect(info.version == "2.9.10")
        #expect(info.maxPayload == 1_048_576)
        #expect(info.headers && info.authRequired && info.tlsAvailable && !info.tlsRequired && info.jetStream)
        #expect(info.connectURLs == ["10.0.0.1:4222"])
        #expect(info.nonce == "xyz")
    }

    @Test func infoUpdatesMaxPayload() throws {
        var parser = NATSProtocolParser()
        var buffer = bytes(#"INFO {"server_id":"a","max_payload":16}"# + "\r\nMSG a 1 17\r\n01234567890123456\r\n")
        #expect(throws: NATSProtocolError.self) { _ = try parser.feed(&buffer) }
        #expect(parser.maxPayload == 16)
    }

    @Test func msgWithoutReply() throws {
        #expect(try parse("MSG orders.new 7 5\r\nhello\r\n") == [.msg(NATSMessage(subject: "orders.new", sid: 7, payload: bytes("hello")))])
    }

    @Test func msgWithReplyAndEmptyPayload() throws {
        #expect(try parse("MSG a.b 12 _INBOX.x.y 0\r\n\r\n") == [.msg(NATSMessage(subject: "a.b", sid: 12, replyTo: "_INBOX.x.y", payload: bytes("")))])
    }

    @Test func payloadMayContainLineEnds() throws {
        #expect(try parse("MSG a 1 6\r\nx\r\ny\r\n\r\n") == [.msg(NATSMessage(subject: "a", sid: 1, payload: bytes("x\r\ny\r\n")))])
    }

    @Test func hmsgWithHeaders() throws {
        let headers = "NATS/1.0\r\nNats-Msg-Id: abc\r\nX-Multi: 1\r\nX-Multi:  2 \r\n\r\n"
        let ops = try parse("HMSG s 3 r \(headers.utf8.count) \(headers.utf8.count + 2)\r\n\(headers)hi\r\n")
        guard case .msg(let message)? = ops.first else { Issue.record("no message: \(ops)"); return }
        #expect(message.subject == "s" && message.sid == 3 && message.replyTo == "r")
        #expect(message.payload.text == "hi")
        #expect(message.headers?["nats-msg-id"] == "abc")
        #expect(message.headers?.values(for: "X-Multi") == ["1", "2"])
        #expect(message.status == nil)
    }

    @Test func hmsgStatusOnlyNoResponders() throws {
        let block = "NATS/1.0 503\r\n\r\n"
        let ops = try parse("HMSG _INBOX.a.b 2 \(block.utf8.count) \(block.utf8.count)\r\n\(block)\r\n")
        guard case .msg(let message)? = ops.first else { Issue.record("no message: \(ops)"); return }
        #expect(message.status == 503)
        #expect(message.isNoResponders)
        #expect(message.headers?.fields.isEmpty == true)
    }

    @Test func hmsgStatusWithDescription() throws {
        let block = "NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 1\r\n\r\n"
        let ops = try parse("HMSG a 2 \(block.utf8.count) \(block.utf8.count)\r\n\(block)\r\n")
        guard case .msg(let message)? = ops.first else { Issue.record("no message: \(ops)"); return }
        #expect(message.status == 408)
        #expect(message.headers?.statusDescription == "Request Timeout")
        #expect(message.headers?["Nats-Pending-Messages"] == "1")
    }

    @Test func controlOps() throws {
        #expect(try parse("PING\r\nPONG\r\n+OK\r\n-ERR 'Authorization Violation'\r\n") == [.ping, .pong, .ok, .err("Authorization Violation")])
    }

    @Test func opNamesAreCaseInsensitiveAndSeparatorsFlexible() throws {
        #expect(try parse("ping\r\nPong\r\n+ok\r\n-err 'x'\r\n") == [.ping, .pong, .ok, .err("x")])
        #expect(try parse("msg\ta.b \t 4  \t 2\r\nhi\r\n") == [.msg(NATSMessage(subject: "a.b", sid: 4, payload: bytes("hi")))])
        #expect(try parse("HmSg  a\t1   12 12\r\nNATS/1.0\r\n\r\n\r\n").count == 1)
    }

    @Test func severalOpsInOneRead() throws {
        let ops = try parse(Self.everyOp)
        #expect(ops.count == 9)
        #expect(ops.last == .err("Unknown Protocol Operation"))
    }

    /// Every split point of a buffer holding every op yields the same ops as one read.
    @Test func splitAtEveryByteOffset() throws {
        let whole = Array(Self.everyOp.utf8)
        let expected = try parse(Self.everyOp)
        for offset in 0...whole.count {
            var parser = NATSProtocolParser()
            var first = ByteBuffer(bytes: whole[..<offset])
            var second = ByteBuffer(bytes: whole[offset...])
            let ops = try parser.feed(&first) + parser.feed(&second)
            #expect(ops == expected, "split at \(offset)")
            #expect(parser.bufferedBytes == 0)
        }
    }

    @Test func byteByByte() throws {
        var parser = NATSProtocolParser()
        var ops: [NATSServerOp] = []
        for byte in Self.everyOp.utf8 {
            var one = ByteBuffer(bytes: [byte])
            ops += try parser.feed(&one)
        }
        #expect(ops == (try parse(Self.everyOp)))
    }

    @Test func incompleteInputWaits() throws {
        var parser = NATSProtocolParser()
        var partial = bytes("MSG a 1 9\r\nhalf")
        #expect(try parser.feed(&partial).isEmpty)
        #expect(parser.bufferedBytes == 4)
        var rest = bytes("-done\r\n")
        #expect(try parser.feed(&rest) == [.msg(NATSMessage(subject: "a", sid: 1, payload: bytes("half-done")))])
    }

    @Test func infoMayExceedTheControlLineLimit() throws {
        let urls = (0..<300).map { "\"10.0.\($0 / 256).\($0 % 256):4222\"" }.joined(separator: ",")
        let line = #"INFO {"server_id":"big","connect_urls":["# + urls + "]}\r\n"
        #expect(line.utf8.count > NATSProtocolParser.defaultMaxControlLine)
        guard case .info(let info)? = try parse(line).first else { Issue.record("no INFO"); return }
        #expect(info.connectURLs.count == 300)
    }

    // MARK: Malformed input: each names what is wrong

    @Test(arguments: [
        ("FOO bar\r\n", NATSProtocolError.Code.unknownOperation, "FOO"),
        ("\r\n", .emptyLine, "empty"),
        ("MSG a 1\r\n", .malformedControlLine, "MSG needs"),
        ("MSG a 1 b c d 5\r\n", .malformedControlLine, "got 6 arguments"),
        ("MSG a x1 5\r\nhello\r\n", .invalidSID, "sid \"x1\""),
        ("MSG a 1 -5\r\n", .invalidSize, "\"-5\""),
        ("MSG a 1 5x\r\n", .invalidSize, "5x"),
        ("MSG a 1 99999999999999999999\r\n", .invalidSize, "payload size"),
        ("MSG a 1 2000000\r\n", .payloadTooLarge, "2000000"),
        ("MSG a 1 5\r\nhelloXY", .missingPayloadTerminator, "instead of CRLF"),
        ("HMSG a 1 20 10\r\n", .headerSizeExceedsTotal, "header size 20 exceeds its total size 10"),
        ("HMSG a 1 10\r\n", .malformedControlLine, "HMSG needs"),
        ("HMSG a 1 5 5\r\nHTTP/\r\n", .invalidHeaders, "NATS/1.0"),
        ("HMSG a 1 15 15\r\nNATS/1.0\r\nX\r\n\r\n\r\n", .invalidHeaders, "without a colon"),
        ("HMSG a 1 16 16\r\nNATS/1.0 5x3\r\n\r\n\r\n", .invalidHeaders, "three digits"),
        ("HMSG a 1 12 12\r\nNATS/1.0\r\nab\r\n", .invalidHeaders, "empty line"),
        ("INFO {not json\r\n", .invalidInfo, "INFO"),
    ] as [(String, NATSProtocolError.Code, String)])
    func malformed(input: String, code: NATSProtocolError.Code, mentions: String) {
        let error = parseError(input)
        #expect(error?.code == code, "\(input.debugDescription) → \(String(describing: error))")
        #expect(error?.message.contains(mentions) == true, "\(String(describing: error)) should mention \(mentions)")
    }

    @Test func controlLineWithoutEndIsBounded() {
        let error = parseError("MSG " + String(repeating: "a", count: 5000))
        #expect(error?.code == .lineTooLong)
        let info = parseError("INFO " + String(repeating: "a", count: 70_000))
        #expect(info?.code == .lineTooLong)
    }

    @Test func parserRecoversAfterAnErrorForANewConnection() throws {
        var parser = NATSProtocolParser()
        var bad = bytes("BOGUS\r\nPING\r\n")
        #expect(throws: NATSProtocolError.self) { _ = try parser.feed(&bad) }
        #expect(parser.bufferedBytes == 0)
        var good = bytes("PONG\r\n")
        #expect(try parser.feed(&good) == [.pong])
    }

    @Test func errorMessagesEscapeControlBytes() {
        let error = parseError("B\u{1}D\r\n")
        #expect(error?.message.contains("\\x01") == true)
        #expect(error?.message.contains("\u{1}") == false)
    }
}
