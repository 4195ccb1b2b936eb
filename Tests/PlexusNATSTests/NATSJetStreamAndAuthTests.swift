import Foundation
import NIOCore
import Testing
@testable import PlexusNATS

extension NATSIntegrationTests {
    @Test func jetStreamPublishDeduplicatesByMessageID() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let client = try await NATSClient.connected(to: server)
        let created = try await client.jetStreamAddStream(name: "ORDERS", subjects: ["orders.>"])
        #expect(created.config.name == "ORDERS")
        #expect(created.config.storage == .file)
        // Creating it again with the same configuration is fine.
        _ = try await client.jetStreamAddStream(name: "ORDERS", subjects: ["orders.>"])

        let first = try await client.jetStreamPublish(bytes("one"), subject: "orders.new", messageID: "m-1")
        #expect(first == JetStreamPubAck(stream: "ORDERS", sequence: 1, duplicate: false))
        let retry = try await client.jetStreamPublish(bytes("one again"), subject: "orders.new", messageID: "m-1")
        #expect(retry.duplicate)
        #expect(retry.sequence == 1)
        let second = try await client.jetStreamPublish(bytes("two"), subject: "orders.new", messageID: "m-2")
        #expect(second == JetStreamPubAck(stream: "ORDERS", sequence: 2, duplicate: false))
        let withoutID = try await client.jetStreamPublish(bytes("three"), subject: "orders.other")
        #expect(withoutID.sequence == 3)

        let info = try await client.jetStreamStreamInfo(name: "ORDERS")
        #expect(info.state.messages == 3)
        #expect(info.state.lastSequence == 3)

        let noStream = await #expect(throws: NATSClientError.self) {
            _ = try await client.jetStreamPublish(bytes("x"), subject: "unstreamed.subject", messageID: "m-3")
        }
        #expect(noStream?.code == .noResponders)
        let conflicting = await #expect(throws: NATSClientError.self) {
            _ = try await client.jetStreamAddStream(name: "ORDERS", subjects: ["other.>"])
        }
        #expect(conflicting?.code == .jetStream)
        let missing = await #expect(throws: NATSClientError.self) {
            _ = try await client.jetStreamStreamInfo(name: "MISSING")
        }
        #expect(missing?.code == .jetStream)
        #expect(missing?.message.contains("not found") == true)
        await client.close()
    }

    @Test func userAndPasswordAuthentication() async throws {
        let server = try await NATSServerProcess.start(["--user", "a", "--pass", "b"])
        defer { server.stop() }
        let good = try await NATSClient.connected(to: server) { $0.user = "a"; $0.password = "b" }
        try await good.flush()
        await good.close()
        // Credentials in the URL work too.
        let fromURL = try NATSClient(configuration: try .init(url: "nats://a:b@127.0.0.1:\(server.port)"))
        try await withTimeout(20, "connect with URL credentials") { try await fromURL.connect() }
        await fromURL.close()

        let wrong = try NATSClient(configuration: {
            var configuration = try NATSClient.Configuration(url: server.url)
            configuration.user = "a"
            configuration.password = "wrong"
            return configuration
        }())
        let error = await #expect(throws: NATSClientError.self) {
            try await withTimeout(20, "auth failure") { try await wrong.connect() }
        }
        #expect(error?.code == .authorizationFailed)
        #expect(error?.message.contains("Authorization Violation") == true)
        #expect(wrong.status == .closed)
    }

    @Test func tokenAuthentication() async throws {
        let server = try await NATSServerProcess.start(["--auth", "s3cret"])
        defer { server.stop() }
        let good = try await NATSClient.connected(to: server) { $0.token = "s3cret" }
        let subscription = try good.subscribe(subject: "t")
        try await good.flush()
        await good.close()
        _ = subscription

        let wrong = try NATSClient(configuration: try .init(url: "nats://nope@127.0.0.1:\(server.port)"))
        let error = await #expect(throws: NATSClientError.self) {
            try await withTimeout(20, "auth failure") { try await wrong.connect() }
        }
        #expect(error?.code == .authorizationFailed)
        let none = try NATSClient(configuration: try .init(url: server.url))
        let missing = await #expect(throws: NATSClientError.self) {
            try await withTimeout(20, "auth failure") { try await none.connect() }
        }
        #expect(missing?.code == .authorizationFailed)
    }
}
