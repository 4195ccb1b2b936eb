import Foundation
import NIOCore
import Testing
@testable import PlexusNATS

/// Against a real nats-server each test starts for itself. Serialized: each test runs its own
/// server, and a 2-core machine shared with other builds should not run a dozen at once.
@Suite(.serialized)
struct NATSIntegrationTests {
    @Test func publishSubscribeRoundTrip() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let subscriber = try await NATSClient.connected(to: server)
        let publisher = try await NATSClient.connected(to: server)
        let subscription = try subscriber.subscribe(subject: "orders.*")
        try await subscriber.flush()
        for index in 0..<10 {
            try publisher.publish(bytes("order \(index)"), subject: "orders.\(index)", replyTo: index == 0 ? "reply.here" : nil)
        }
        try await publisher.flush()
        let messages = try await next(10, from: subscription)
        #expect(messages.map(\.payload.text) == (0..<10).map { "order \($0)" })
        #expect(messages.map(\.subject) == (0..<10).map { "orders.\($0)" })
        #expect(messages[0].replyTo == "reply.here")
        #expect(messages[1].replyTo == nil)
        #expect(messages.allSatisfy { $0.headers == nil && $0.sid == subscription.sid })
        #expect(subscriber.statistics.messagesIn == 10)
        #expect(publisher.statistics.messagesOut == 10)
        await subscriber.close()
        await publisher.close()
        #expect(subscriber.status == .closed)
    }

    @Test func echoIsOffByDefaultAndCanBeEnabled() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let quiet = try await NATSClient.connected(to: server)
        let echoing = try await NATSClient.connected(to: server, echo: true)
        let quietSubscription = try quiet.subscribe(subject: "self")
        let echoSubscription = try echoing.subscribe(subject: "self")
        try await quiet.flush()
        try await echoing.flush()
        try quiet.publish(bytes("from quiet"), subject: "self")
        try await quiet.flush()
        try echoing.publish(bytes("from echoing"), subject: "self")
        try await echoing.flush()
        // Both messages reach the echoing client; the quiet one only sees the other's.
        #expect(try await next(2, from: echoSubscription).map(\.payload.text) == ["from quiet", "from echoing"])
        #expect(try await next(1, from: quietSubscription).map(\.payload.text) == ["from echoing"])
        await quiet.close()
        await echoing.close()
    }

    @Test func headersRoundTrip() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let client = try await NATSClient.connected(to: server, echo: true)
        let subscription = try client.subscribe(subject: "with.headers")
        var headers = NATSHeaders()
        headers.add("Plexus-Message-UUID", "0190-abc")
        headers.add("X-Multi", "one")
        headers.add("X-Multi", "two words")
        try client.publish(bytes("payload"), subject: "with.headers", headers: headers)
        try client.publish(bytes(""), subject: "with.headers", headers: headers)
        try await client.flush()
        let messages = try await next(2, from: subscription)
        #expect(messages[0].headers == headers)
        #expect(messages[0].payload.text == "payload")
        #expect(messages[1].headers?.values(for: "x-multi") == ["one", "two words"])
        #expect(messages[1].payload.readableBytes == 0)
        await client.close()
    }

    @Test func queueGroupDeliversEachMessageToExactlyOneMember() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let workers = try await NATSClient.connected(to: server)
        let publisher = try await NATSClient.connected(to: server)
        let first = try workers.subscribe(subject: "jobs", queueGroup: "workers")
        let second = try workers.subscribe(subject: "jobs", queueGroup: "workers")
        try await workers.flush()
        let count = 200
        for index in 0..<count { try publisher.publish(bytes("\(index)"), subject: "jobs") }
        try await publisher.flush()
        // Wait until all arrived, then end both sequences and count what each got.
        try await waitUntil("\(count) jobs delivered") { workers.statistics.messagesIn >= count }
        try await workers.flush()
        first.unsubscribe()
        second.unsubscribe()
        var received: [String] = []
        var perMember: [Int] = []
        for subscription in [first, second] {
            let messages = try await withTimeout(20, "draining a member") { () async -> [String] in
                var all: [String] = []
                for await message in subscription { all.append(message.payload.text) }
                return all
            }
            perMember.append(messages.count)
            received += messages
        }
        #expect(received.count == count)
        #expect(Set(received) == Set((0..<count).map(String.init)))
        #expect(perMember.allSatisfy { $0 > 0 }, "both members share the work: \(perMember)")
        await workers.close()
        await publisher.close()
    }

    @Test func requestReplyAndNoResponders() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let responder = try await NATSClient.connected(to: server)
        let requester = try await NATSClient.connected(to: server)
        let service = try responder.subscribe(subject: "svc.echo")
        try await responder.flush()
        let serving = Task {
            for await request in service {
                guard let replyTo = request.replyTo else { continue }
                var answer = ByteBuffer(string: "echo: ")
                answer.writeImmutableBuffer(request.payload)
                try responder.publish(answer, subject: replyTo, headers: request.headers)
            }
        }
        for index in 0..<5 {
            let reply = try await requester.request(bytes("\(index)"), subject: "svc.echo", headers: NATSHeaders([("N", "\(index)")]), timeout: .seconds(10))
            #expect(reply.payload.text == "echo: \(index)")
            #expect(reply.headers?["N"] == "\(index)")
        }
        let error = await #expect(throws: NATSClientError.self) {
            _ = try await requester.request(bytes("?"), subject: "svc.nobody", timeout: .seconds(10))
        }
        #expect(error?.code == .noResponders)
        #expect(error?.message.contains("svc.nobody") == true)
        service.unsubscribe()
        _ = await serving.result
        await responder.close()
        await requester.close()
    }

    @Test func requestTimesOutWhenTheResponderIsSilent() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let client = try await NATSClient.connected(to: server)
        // Another connection: with echo off the server would not route the request to a
        // subscription of the requesting client, and would answer "no responders".
        let listener = try await NATSClient.connected(to: server)
        let silent = try listener.subscribe(subject: "svc.silent")
        try await listener.flush()
        let error = await #expect(throws: NATSClientError.self) {
            _ = try await client.request(bytes("?"), subject: "svc.silent", timeout: .milliseconds(300))
        }
        #expect(error?.code == .timeout)
        silent.unsubscribe()
        await listener.close()
        await client.close()
    }

    @Test func maxPayloadIsEnforcedBeforeSending() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let client = try await NATSClient.connected(to: server, echo: true)
        let maxPayload = try #require(client.statistics.serverInfo?.maxPayload)
        #expect(maxPayload == 1_048_576)
        let error = #expect(throws: NATSClientError.self) {
            try client.publish(ByteBuffer(repeating: 1, count: maxPayload + 1), subject: "big")
        }
        #expect(error?.code == .payloadTooLarge)
        #expect(error?.message.contains("\(maxPayload + 1)") == true && error?.message.contains("\(maxPayload)") == true)
        // Exactly max_payload is fine, and the connection stays usable.
        let subscription = try client.subscribe(subject: "big")
        try client.publish(ByteBuffer(repeating: 2, count: maxPayload), subject: "big")
        try await client.flush()
        #expect(try await next(1, from: subscription).first?.payload.readableBytes == maxPayload)
        #expect(client.status == .connected)
        await client.close()
    }

    @Test func invalidSubjectsNeverReachTheServer() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let client = try await NATSClient.connected(to: server)
        #expect(throws: NATSClientError.self) { try client.publish(bytes("x"), subject: "a\r\nPUB b 1") }
        #expect(throws: NATSClientError.self) { try client.publish(bytes("x"), subject: "a.*") }
        #expect(throws: NATSClientError.self) { _ = try client.subscribe(subject: "a b") }
        #expect(throws: NATSClientError.self) { _ = try client.subscribe(subject: "a", queueGroup: "q\r\n") }
        try await client.flush()
        #expect(client.status == .connected)
        #expect(client.statistics.lastError == nil)
        await client.close()
    }

    @Test func slowConsumerDropsAreCounted() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let client = try await NATSClient.connected(to: server, echo: true) { $0.subscriptionBufferCapacity = 10 }
        let subscription = try client.subscribe(subject: "burst")
        for index in 0..<50 { try client.publish(bytes("\(index)"), subject: "burst") }
        try await client.flush()
        try await waitUntil("50 messages in") { client.statistics.messagesIn >= 50 }
        #expect(subscription.droppedMessages == 40)
        #expect(client.statistics.droppedMessages == 40)
        // The oldest ten were kept, in order.
        #expect(try await next(10, from: subscription).map(\.payload.text) == (0..<10).map(String.init))
        await client.close()
    }

    @Test func connectFailsClearlyWhenNoServerListens() async throws {
        let server = try await NATSServerProcess.start()
        let url = server.url
        server.stop()
        let client = try NATSClient(configuration: try NATSClient.Configuration(url: url))
        let error = await #expect(throws: NATSClientError.self) {
            try await withTimeout(20, "connect failure") { try await client.connect() }
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.contains(url.replacingOccurrences(of: "nats://", with: "")) == true)
        #expect(client.status == .closed)
        #expect(throws: NATSClientError.self) { try client.publish(bytes("x"), subject: "a") }
    }
}
