import Foundation
import NIOCore
import PlexusCore
import PlexusWebhooks
import Testing

@testable import PlexusSessions

/// The email channel against a real SMTP server the test starts: the mail carries the question
/// and the inbox link; a refused recipient is a permanent failure; the address guard refuses a
/// mail host on loopback unless the operator allowlists it.
@Suite struct ChannelDispatcherTests {
    static func dispatcher(allow: [String]) throws -> ChannelDispatcher {
        let guardrail = AddressGuard(allowlist: try AddressGuardAllowlist(parsing: allow))
        return ChannelDispatcher(
            poster: try GuardedPoster(addressGuard: guardrail), smtp: SMTPClient(group: .singletonMultiThreadedEventLoopGroup, heloName: "node.test"),
            clock: { Timestamp(seconds: 1_760_000_000) }, publish: { _ in }, node: "acme/eu/node-a", timeout: .seconds(5))
    }

    static func prompt() throws -> ChannelPrompt {
        ChannelPrompt(
            sessionID: "s-42", subjectID: "agent-1", message: ["message": "Approve invoice 7?"],
            template: try MessageTemplate(["policy_input_schema": ["approved": ["type": "boolean"]]]), responseURL: "http://node/webhook-response?token=t1",
            inboxURL: "http://node/inbox/s-42?token=t1", expiresAt: Timestamp(seconds: 1_760_003_600))
    }

    static func emailChannel(port: Int, to: JSONValue = "ops@example.com") throws -> ChannelRecord {
        try ChannelRecord(id: "mail", [
            "channel_metadata": ["type": "email", "smtp_host": "127.0.0.1", "smtp_port": .integer(Int64(port)), "from": "plexus@example.com", "to": to],
        ])
    }

    @Test func aMailCarriesTheQuestionAndTheInboxLink() async throws {
        let server = try await SMTPTestServer.start()
        defer { Task { try await server.shutdown() } }
        let dispatcher = try Self.dispatcher(allow: ["127.0.0.1"])
        let outcome = await dispatcher.deliver(try Self.prompt(), over: try Self.emailChannel(port: server.address.port ?? 0))
        #expect(outcome == .delivered)
        let envelope = try #require(server.recorded.envelopes.first)
        #expect(envelope.mailFrom == "plexus@example.com" && envelope.recipients == ["ops@example.com"])
        let text = String(decoding: envelope.data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        #expect(parts[0].contains("Subject:"))
        let body = String(decoding: try #require(Data(base64Encoded: parts[1].replacingOccurrences(of: "\r\n", with: ""))), as: UTF8.self)
        #expect(body.contains("Approve invoice 7?"))
        #expect(body.contains("http://node/inbox/s-42?token=t1"))
    }

    @Test func aRefusedRecipientIsPermanent() async throws {
        var configuration = SMTPTestServer.Configuration()
        configuration.rejectedRecipients = ["nobody@example.com"]
        let server = try await SMTPTestServer.start(configuration)
        defer { Task { try await server.shutdown() } }
        let channel = try Self.emailChannel(port: server.address.port ?? 0, to: "nobody@example.com")
        let dispatcher = try Self.dispatcher(allow: ["127.0.0.1"])
        let outcome = await dispatcher.deliver(try Self.prompt(), over: channel)
        guard case .permanent(let reason) = outcome else { Issue.record("expected a permanent failure, got \(outcome)"); return }
        #expect(reason.contains("550"))
    }

    @Test func aLoopbackMailHostIsRefusedWithoutTheAllowlist() async throws {
        let server = try await SMTPTestServer.start()
        defer { Task { try await server.shutdown() } }
        let dispatcher = try Self.dispatcher(allow: [])
        let outcome = await dispatcher.deliver(try Self.prompt(), over: try Self.emailChannel(port: server.address.port ?? 0))
        guard case .permanent = outcome else { Issue.record("expected the guard to refuse, got \(outcome)"); return }
        #expect(server.recorded.connectionsOpened == 0)
    }
}
