import Foundation
import NIOCore
import NIOPosix
import PlexusSessions
import Testing

/// The client against a real SMTP server over loopback TCP (`SMTPTestServer`), one server per
/// test.
@Suite("SMTP client over TCP")
struct SMTPClientTests {
    let client = SMTPClient(group: MultiThreadedEventLoopGroup.singleton, heloName: "plexus.test")

    private func withServer(
        _ configuration: SMTPTestServer.Configuration = .init(),
        _ body: (SMTPTestServer) async throws -> Void
    ) async throws {
        let server = try await SMTPTestServer.start(configuration)
        do {
            try await body(server)
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    /// Runs `send` and returns its error, or nil when it succeeded.
    private func sendError(
        _ message: SMTPMessage, to server: SMTPTestServer, credentials: SMTPCredentials? = nil,
        timeout: Duration = .seconds(10)
    ) async -> SMTPError? {
        do {
            try await client.send(message, to: server.address, credentials: credentials, timeout: timeout)
            return nil
        } catch {
            return error
        }
    }

    private func raw(_ text: String, to: [String] = ["bob@example.org"]) -> SMTPMessage {
        SMTPMessage(from: "alice@example.com", to: to, data: Array(text.utf8))
    }

    @Test func deliversComposedMessageToEveryRecipient() async throws {
        try await withServer { server in
            let message = SMTPMessage.compose(
                from: "plexus@example.com", to: ["bob@example.org", "carol@example.net"],
                subject: "Approve payment?", text: "Open https://node.example/inbox/s-1?token=abc\nThanks.",
                date: 1_764_520_000, messageID: "s-1@plexus"
            )
            try await client.send(message, to: server.address, credentials: nil, timeout: .seconds(10))

            let record = server.recorded
            try #require(record.envelopes.count == 1)
            let envelope = record.envelopes[0]
            #expect(envelope.mailFrom == "plexus@example.com")
            #expect(envelope.recipients == ["bob@example.org", "carol@example.net"])
            #expect(envelope.data == message.data)
            // The server advertised SIZE, so the client declared it.
            #expect(envelope.mailParameters == "SIZE=\(message.data.count)")
            #expect(record.commands.first == "EHLO plexus.test")
            #expect(record.authAttempts.isEmpty)

            let text = String(decoding: envelope.data, as: UTF8.self)
            let body = text.components(separatedBy: "\r\n\r\n")[1].replacingOccurrences(of: "\r\n", with: "")
            let decoded = try #require(Data(base64Encoded: body))
            #expect(String(decoding: decoded, as: UTF8.self) == "Open https://node.example/inbox/s-1?token=abc\r\nThanks.")
            // The QUIT finishes after send returned; the server then sees the close.
            #expect(try await server.waitUntil { $0.commands.last == "QUIT" && $0.connectionsClosed == 1 })
        }
    }

    @Test func dotStuffingRoundTripsLinesThatStartWithDots() async throws {
        try await withServer { server in
            let content = "Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\nmiddle . dot\r\n.\r\nend"
            try await client.send(raw(content), to: server.address, credentials: nil, timeout: .seconds(10))
            let envelope = try #require(server.recorded.envelopes.first)
            // Unstuffed by the server, the content is what we meant, with the CRLF the client
            // adds to a last line that lacks one.
            #expect(String(decoding: envelope.data, as: UTF8.self) == content + "\r\n")
        }
    }

    @Test func bareLineFeedsGoOutAsCRLF() async throws {
        try await withServer { server in
            try await client.send(raw("Subject: lf\n\nline one\n.line two\n"), to: server.address, credentials: nil, timeout: .seconds(10))
            let envelope = try #require(server.recorded.envelopes.first)
            #expect(String(decoding: envelope.data, as: UTF8.self) == "Subject: lf\r\n\r\nline one\r\n.line two\r\n")
        }
    }

    @Test func refusedRecipientFailsBeforeData() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.rejectedRecipients = ["nobody@example.org"]
        try await withServer(configuration) { server in
            let error = try #require(await sendError(raw("Subject: x\r\n\r\nhi", to: ["bob@example.org", "nobody@example.org"]), to: server))
            #expect(error.stage == .recipient)
            #expect(error.code == 550)
            #expect(error.permanent)
            #expect(error.message == "RCPT TO <nobody@example.org> refused: 550 5.1.1 no such user")
            #expect(server.recorded.envelopes.isEmpty)
            #expect(!server.recorded.commands.contains("DATA"))
            // It said goodbye rather than just dropping the line.
            #expect(try await server.waitUntil { $0.commands.last == "QUIT" })
        }
    }

    @Test func longServerRepliesAreCutInErrors() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.rejectedRecipients = ["bob@example.org"]
        configuration.rejectionLines = Array(repeating: String(repeating: "x", count: 80), count: 20)
        try await withServer(configuration) { server in
            let error = try #require(await sendError(raw("Subject: x\r\n\r\nhi"), to: server))
            #expect(error.code == 550)
            let quoted = try #require(error.message.components(separatedBy: "refused: ").last)
            #expect(quoted.count <= SMTPError.maxQuotedReply)
            #expect(quoted.hasPrefix("550 xxxx"))
        }
    }

    @Test func authPlainSendsTheCredentials() async throws {
        var configuration = SMTPTestServer.Configuration()
        let credentials = SMTPCredentials(username: "plexus", password: "s3cret ünïcode")
        configuration.requiredCredentials = credentials
        try await withServer(configuration) { server in
            try await client.send(raw("Subject: x\r\n\r\nhi"), to: server.address, credentials: credentials, timeout: .seconds(10))
            #expect(server.recorded.authAttempts == [credentials])
            #expect(server.recorded.envelopes.first?.authenticatedAs == "plexus")
        }
    }

    @Test func wrongPasswordIsAPermanentAuthFailure() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.requiredCredentials = SMTPCredentials(username: "plexus", password: "right")
        try await withServer(configuration) { server in
            let error = try #require(await sendError(
                raw("Subject: x\r\n\r\nhi"), to: server, credentials: SMTPCredentials(username: "plexus", password: "wrong")
            ))
            #expect(error.stage == .auth)
            #expect(error.code == 535)
            #expect(error.permanent)
            #expect(!error.message.contains("wrong"))
            #expect(server.recorded.envelopes.isEmpty)
        }
    }

    @Test func serverThatRequiresAuthRefusesMailWithoutIt() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.requiredCredentials = SMTPCredentials(username: "plexus", password: "right")
        try await withServer(configuration) { server in
            let error = try #require(await sendError(raw("Subject: x\r\n\r\nhi"), to: server))
            #expect(error.stage == .mailFrom)
            #expect(error.code == 530)
            #expect(error.message.hasPrefix("MAIL FROM <alice@example.com> refused: 530"))
        }
    }

    @Test func credentialsWithoutAdvertisedAuthPlainFailClearly() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.authMechanisms = ["LOGIN", "CRAM-MD5"]
        try await withServer(configuration) { server in
            let error = try #require(await sendError(
                raw("Subject: x\r\n\r\nhi"), to: server, credentials: SMTPCredentials(username: "u", password: "p")
            ))
            #expect(error.stage == .auth)
            #expect(error.code == nil)
            #expect(error.permanent)
            #expect(error.message.contains("only AUTH LOGIN CRAM-MD5, not AUTH PLAIN"))
            #expect(server.recorded.authAttempts.isEmpty)
            #expect(!server.recorded.commands.contains { $0.hasPrefix("MAIL") })
        }
    }

    @Test func fallsBackToHeloWhenEhloIsRefused() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.supportsEHLO = false
        try await withServer(configuration) { server in
            try await client.send(raw("Subject: x\r\n\r\nhi"), to: server.address, credentials: nil, timeout: .seconds(10))
            let record = server.recorded
            #expect(Array(record.commands.prefix(3)) == ["EHLO plexus.test", "HELO plexus.test", "MAIL FROM:<alice@example.com>"])
            #expect(record.envelopes.count == 1)
        }
    }

    @Test func heloOnlyServerCannotAuthenticate() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.supportsEHLO = false
        try await withServer(configuration) { server in
            let error = try #require(await sendError(
                raw("Subject: x\r\n\r\nhi"), to: server, credentials: SMTPCredentials(username: "u", password: "p")
            ))
            #expect(error.stage == .auth)
            #expect(error.message.contains("no AUTH"))
        }
    }

    @Test func refusingGreetingIsReported() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.greeting = "554 5.3.2 no service here\r\n"
        try await withServer(configuration) { server in
            let error = try #require(await sendError(raw("Subject: x\r\n\r\nhi"), to: server))
            #expect(error.stage == .greeting)
            #expect(error.code == 554)
            #expect(error.permanent)
        }
    }

    @Test func garbageGreetingIsAProtocolViolation() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.greeting = "HTTP/1.1 400 Bad Request\r\n"
        try await withServer(configuration) { server in
            let error = try #require(await sendError(raw("Subject: x\r\n\r\nhi"), to: server))
            #expect(error.stage == .protocolViolation)
            #expect(!error.permanent)
        }
    }

    @Test func oversizedMessageIsRefusedAtMailFrom() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.maxSize = 10
        try await withServer(configuration) { server in
            let error = try #require(await sendError(raw("Subject: too big\r\n\r\nhello world"), to: server))
            #expect(error.stage == .mailFrom)
            #expect(error.code == 552)
        }
    }

    @Test func serverThatNeverGreetsTimesOut() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.stall = .beforeGreeting
        try await withServer(configuration) { server in
            let error = try #require(await sendError(raw("Subject: x\r\n\r\nhi"), to: server, timeout: .milliseconds(300)))
            #expect(error.stage == .timeout)
            #expect(!error.permanent)
            #expect(error.message.contains("the server's greeting"))
            #expect(try await server.waitUntil { $0.connectionsClosed == 1 })
        }
    }

    @Test func serverThatStallsAfterDataTimesOut() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.stall = .afterData
        try await withServer(configuration) { server in
            let error = try #require(await sendError(raw("Subject: x\r\n\r\nhi"), to: server, timeout: .seconds(2)))
            #expect(error.stage == .timeout)
            #expect(error.message.contains("the reply to the message content"))
        }
    }

    @Test func cancellationClosesTheConnection() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.stall = .beforeGreeting
        try await withServer(configuration) { server in
            let task = Task { await sendError(raw("Subject: x\r\n\r\nhi"), to: server, timeout: .seconds(60)) }
            #expect(try await server.waitUntil { $0.connectionsOpened == 1 })
            task.cancel()
            let error = try #require(await task.value)
            #expect(error.stage == .cancelled)
            #expect(try await server.waitUntil { $0.connectionsClosed == 1 })
        }
    }

    @Test func refusedConnectionIsAConnectError() async throws {
        // A port that was just ours and is closed now: nothing listens there.
        let server = try await SMTPTestServer.start()
        let address = server.address
        try await server.shutdown()
        do {
            try await client.send(raw("Subject: x\r\n\r\nhi"), to: address, credentials: nil, timeout: .seconds(10))
            Issue.record("the send should have failed")
        } catch {
            #expect(error.stage == .connect)
            #expect(error.message.contains("refused"))
        }
    }

    @Test(arguments: [
        ("alice@example.com\r\nRCPT TO:<evil@example.org>", "CR or LF"),
        ("alice@example.com>", "'<' or '>'"),
        ("<alice@example.com>", "'<' or '>'"),
        ("alice@example.com SIZE=1", "space or control"),
        ("", "empty"),
        ("ålice@example.com", "not ASCII"),
    ])
    func injectionInAddressesIsRefusedBeforeConnecting(address: String, reason: String) async throws {
        try await withServer { server in
            for message in [
                SMTPMessage(from: address, to: ["bob@example.org"], data: Array("Subject: x\r\n\r\nhi".utf8)),
                SMTPMessage(from: "alice@example.com", to: ["bob@example.org", address], data: Array("Subject: x\r\n\r\nhi".utf8)),
            ] {
                let error = try #require(await sendError(message, to: server))
                #expect(error.stage == .invalidInput)
                #expect(error.permanent)
                #expect(error.message.contains(reason))
                #expect(!error.message.contains("\r"))
            }
            #expect(server.recorded.connectionsOpened == 0)
        }
    }

    @Test func otherInvalidInputIsRefusedBeforeConnecting() async throws {
        try await withServer { server in
            let noRecipients = SMTPMessage(from: "a@example.com", to: [], data: Array("x".utf8))
            #expect(await sendError(noRecipients, to: server)?.message == "the message has no recipients")
            let longLine = raw("Subject: x\r\n\r\n" + String(repeating: "y", count: 999))
            #expect(await sendError(longLine, to: server)?.stage == .invalidInput)
            let nulUser = await sendError(raw("x"), to: server, credentials: SMTPCredentials(username: "a\u{0}b", password: "p"))
            #expect(nulUser?.stage == .invalidInput)
            let badHelo = SMTPClient(group: MultiThreadedEventLoopGroup.singleton, heloName: "bad\r\nname")
            await #expect(throws: SMTPError.self) {
                try await badHelo.send(raw("x"), to: server.address, credentials: nil, timeout: .seconds(5))
            }
            #expect(server.recorded.connectionsOpened == 0)
        }
    }
}
