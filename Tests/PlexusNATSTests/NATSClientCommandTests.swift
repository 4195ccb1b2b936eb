import Foundation
import NIOCore
import Testing
@testable import PlexusNATS

@Suite struct NATSClientCommandTests {
    func wire(_ command: NATSClientCommand) throws -> String {
        try command.encoded().text
    }

    @Test func pub() throws {
        #expect(try wire(.pub(subject: "a.b", replyTo: nil, payload: bytes("hello"))) == "PUB a.b 5\r\nhello\r\n")
        #expect(try wire(.pub(subject: "a.b", replyTo: "_INBOX.x.1", payload: bytes(""))) == "PUB a.b _INBOX.x.1 0\r\n\r\n")
    }

    @Test func hpub() throws {
        var headers = NATSHeaders()
        headers.add("Nats-Msg-Id", "m1")
        headers.add("X-A", "1")
        headers.add("X-A", "2")
        let block = "NATS/1.0\r\nNats-Msg-Id: m1\r\nX-A: 1\r\nX-A: 2\r\n\r\n"
        #expect(headers.encodedLength == block.utf8.count)
        #expect(try wire(.hpub(subject: "s", replyTo: "r", headers: headers, payload: bytes("body")))
            == "HPUB s r \(block.utf8.count) \(block.utf8.count + 4)\r\n\(block)body\r\n")
    }

    @Test func publishPicksPubWithoutHeaders() {
        #expect(NATSClientCommand.publish(subject: "s", headers: NATSHeaders(), payload: bytes("x")) == .pub(subject: "s", replyTo: nil, payload: bytes("x")))
    }

    @Test func statusHeadersEncode() throws {
        let headers = NATSHeaders(status: 503, statusDescription: "No Responders")
        var buffer = ByteBuffer()
        let written = headers.encode(into: &buffer)
        #expect(buffer.text == "NATS/1.0 503 No Responders\r\n\r\n")
        #expect(written == headers.encodedLength)
    }

    @Test func headersRoundTripThroughTheParser() throws {
        var headers = NATSHeaders([("A", "1"), ("b-2", "x y"), ("A", "3")])
        headers.set("C", "only")
        var block = ByteBuffer()
        headers.encode(into: &block)
        var wire = bytes("HMSG s 1 \(block.readableBytes) \(block.readableBytes)\r\n")
        wire.writeBuffer(&block)
        wire.writeString("\r\n")
        var parser = NATSProtocolParser()
        guard case .msg(let message)? = try parser.feed(&wire).first else { Issue.record("no message"); return }
        #expect(message.headers == headers)
    }

    @Test func subAndUnsub() throws {
        #expect(try wire(.sub(subject: "orders.*", queueGroup: nil, sid: 3)) == "SUB orders.* 3\r\n")
        #expect(try wire(.sub(subject: "orders.>", queueGroup: "workers", sid: 4)) == "SUB orders.> workers 4\r\n")
        #expect(try wire(.unsub(sid: 4, max: nil)) == "UNSUB 4\r\n")
        #expect(try wire(.unsub(sid: 4, max: 10)) == "UNSUB 4 10\r\n")
        #expect(try wire(.ping) == "PING\r\n")
        #expect(try wire(.pong) == "PONG\r\n")
    }

    @Test func connectIsJSONWithoutLineBreaks() throws {
        let options = NATSConnectOptions(tlsRequired: true, name: "node\nA", echo: false, user: "u", password: "p\r\nPUB x 1")
        let text = try wire(.connect(options))
        #expect(text.hasPrefix("CONNECT {"))
        #expect(text.hasSuffix("}\r\n"))
        #expect(text.dropLast(1).contains("\n") == false)
        let json = try JSONSerialization.jsonObject(with: Data(text.dropFirst(8).dropLast(1).utf8)) as? [String: Any]
        #expect(json?["pass"] as? String == "p\r\nPUB x 1")
        #expect(json?["headers"] as? Bool == true)
        #expect(json?["no_responders"] as? Bool == true)
        #expect(json?["echo"] as? Bool == false)
        #expect(json?["tls_required"] as? Bool == true)
        #expect(!options.description.contains("p\r\n"))
    }

    // MARK: Validation

    @Test(arguments: [
        ("", "empty"), ("a b", "a space"), ("a\tb", "a tab"), ("a\r\nPUB x 1", "carriage return"), ("a\nb", "line feed"),
        ("a\u{0}b", "NUL"), ("a\u{7}b", "control byte 0x07"), ("a..b", "empty token"), (".a", "empty token"), ("a.", "empty token"),
        ("a.*", "wildcard token *"), ("a.>", "wildcard token >"), (">", "wildcard"),
    ])
    func badPublishSubjects(subject: String, mentions: String) {
        let error = #expect(throws: NATSClientError.self) {
            try NATSClientCommand.pub(subject: subject, replyTo: nil, payload: bytes("x")).encoded()
        }
        #expect(error?.code == .invalidSubject)
        #expect(error?.message.contains(mentions) == true, "\(String(describing: error))")
    }

    @Test func validPublishSubjects() throws {
        for subject in ["a", "a.b.c", "orders-1.new_x", "a*b.c>d", "ünïcode.ok", "$JS.API.STREAM.INFO.S"] {
            try NATSValidation.validatePublishSubject(subject)
        }
    }

    @Test func subscribeWildcards() throws {
        for subject in ["a.*", "*.b", "a.*.c", "a.>", ">", "*"] {
            try NATSValidation.validateSubscribeSubject(subject)
        }
        for subject in ["a.>.b", ">.a", "a..*", "a *", "a.*\r\n"] {
            #expect(throws: NATSClientError.self, "\(subject.debugDescription)") { try NATSValidation.validateSubscribeSubject(subject) }
        }
    }

    @Test func badReplySubject() {
        let error = #expect(throws: NATSClientError.self) {
            try NATSClientCommand.pub(subject: "a", replyTo: "r *", payload: bytes("")).encoded()
        }
        #expect(error?.message.contains("reply subject") == true)
    }

    @Test func badQueueGroups() {
        for group in ["", "a b", "a\r\n", "a\tb"] {
            let error = #expect(throws: NATSClientError.self) {
                try NATSClientCommand.sub(subject: "a", queueGroup: group, sid: 1).encoded()
            }
            #expect(error?.code == .invalidQueueGroup)
        }
    }

    @Test(arguments: [
        ("Bad Name", "ok", "a space"), ("Colon:", "ok", "':'"), ("", "ok", "empty"), ("X-Ok", "v\r\nInjected: 1", "carriage return"),
        ("X-Ok", "v\nx", "line feed"), ("X-Ok", "v\u{0}", "NUL"), ("Ünï", "ok", "not allowed in a header name"),
    ])
    func badHeaders(name: String, value: String, mentions: String) {
        var headers = NATSHeaders()
        headers.add(name, value)
        let error = #expect(throws: NATSClientError.self) {
            try NATSClientCommand.hpub(subject: "a", replyTo: nil, headers: headers, payload: bytes("")).encoded()
        }
        #expect(error?.code == .invalidHeader)
        #expect(error?.message.contains(mentions) == true, "\(String(describing: error))")
    }

    @Test func nothingIsWrittenWhenValidationFails() {
        var buffer = bytes("kept")
        #expect(throws: NATSClientError.self) {
            try NATSClientCommand.pub(subject: "a b", replyTo: nil, payload: bytes("x")).encode(into: &buffer)
        }
        #expect(buffer.text == "kept")
    }

    @Test func headerLookupIgnoresCase() {
        var headers = NATSHeaders([("Nats-Msg-Id", "1")])
        #expect(headers["NATS-MSG-ID"] == "1")
        headers.set("nats-msg-id", "2")
        #expect(headers.fields == [.init(name: "nats-msg-id", value: "2")])
        headers.remove("NATS-msg-ID")
        #expect(headers.isEmpty)
    }

    @Test func serverAddresses() throws {
        let plain = try NATSServerAddress("nats://alice:s%40cret@example.com:4333")
        #expect(plain == NATSServerAddress(host: "example.com", port: 4333, user: "alice", password: "s@cret"))
        #expect(plain.description == "nats://example.com:4333")
        let tls = try NATSServerAddress("tls://tok@10.0.0.1")
        #expect(tls == NATSServerAddress(host: "10.0.0.1", port: 4222, tls: true, token: "tok"))
        #expect(try NATSServerAddress("localhost:4000") == NATSServerAddress(host: "localhost", port: 4000))
        #expect(try NATSServerAddress("nats://[::1]:4222").host == "::1")
        #expect(throws: NATSClientError.self) { try NATSServerAddress("http://example.com") }
        #expect(throws: NATSClientError.self) { try NATSServerAddress("nats://:4222") }
        let configuration = try NATSClient.Configuration(url: "nats://a:1, tls://b:2")
        #expect(configuration.servers.map(\.description) == ["nats://a:1", "tls://b:2"])
    }

    @Test func configurationValidationNamesTheKey() {
        var configuration = NATSClient.Configuration(servers: [])
        #expect((try? configuration.validate()) == nil)
        configuration.servers = [NATSServerAddress(host: "h")]
        configuration.maxOutstandingPings = 0
        let error = #expect(throws: NATSClientError.self) { try configuration.validate() }
        #expect(error?.message.hasPrefix("nats.maxOutstandingPings") == true)
    }
}
