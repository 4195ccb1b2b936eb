import Foundation
import NIOCore
import Testing
@testable import PlexusNATS

extension NATSIntegrationTests {
    /// The server dies (kill -9) mid-stream and comes back on the same port and store: the
    /// client reconnects and re-subscribes by itself, the same subscription object keeps
    /// yielding, publishes made while it was down arrive after the reconnect, and JetStream
    /// messages acknowledged before the kill are still stored.
    @Test func survivesKill9AndRestartOfTheServer() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let client = try await NATSClient.connected(to: server, echo: true)
        let statuses = client.statusUpdates()
        let events = try client.subscribe(subject: "events.>")
        let queued = try client.subscribe(subject: "work", queueGroup: "workers")

        _ = try await client.jetStreamAddStream(name: "DURABLE", subjects: ["durable.>"])
        for index in 1...5 {
            let ack = try await client.jetStreamPublish(bytes("stored \(index)"), subject: "durable.x", messageID: "d-\(index)")
            #expect(ack.sequence == UInt64(index))
        }
        try client.publish(bytes("before"), subject: "events.a")
        try await client.flush()
        #expect(try await next(1, from: events).map(\.payload.text) == ["before"])
        // nats-server hands acknowledged messages to the OS from its flusher shortly after the
        // ack; give it a moment so the kill tests our reconnect, not the server's write-behind.
        try await Task.sleep(for: .milliseconds(300))

        server.kill9()
        try await waitUntil("the client to notice the dead server") { client.status != .connected }
        // Publishing while the server is down is buffered, not refused.
        try client.publish(bytes("while down"), subject: "events.b")
        try client.publish(bytes("job while down"), subject: "work")
        #expect(client.statistics.pendingBytes > 0)

        try await server.launch()
        try await waitUntil("the client to reconnect") { client.status == .connected }
        #expect(client.statistics.reconnects >= 1)

        // Same subscription objects, re-subscribed by the client: the buffered publishes went
        // out behind the SUBs, and new ones flow too.
        try client.publish(bytes("after"), subject: "events.c")
        try await client.flush()
        #expect(try await next(2, from: events).map(\.payload.text) == ["while down", "after"])
        #expect(try await next(1, from: queued).map(\.payload.text) == ["job while down"])

        // A second client publishing proves the subscription is registered on the new server.
        let other = try await NATSClient.connected(to: server)
        try other.publish(bytes("from other"), subject: "events.d")
        try await other.flush()
        #expect(try await next(1, from: events).map(\.payload.text) == ["from other"])

        let info = try await client.jetStreamStreamInfo(name: "DURABLE")
        #expect(info.state.messages == 5)
        let sixth = try await client.jetStreamPublish(bytes("stored 6"), subject: "durable.x", messageID: "d-6")
        #expect(sixth.sequence == 6)

        await other.close()
        await client.close()
        var seen: [NATSConnectionStatus] = []
        for await status in statuses { seen.append(status) }
        #expect(seen.first == .connected)
        #expect(seen.contains(.reconnecting))
        #expect(seen.last == .closed)
    }

    @Test func publishBufferIsBoundedWhileDisconnected() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let client = try await NATSClient.connected(to: server) { $0.maxPendingBytes = 1000 }
        server.kill9()
        try await waitUntil("the client to notice the dead server") { client.status == .reconnecting }
        var accepted = 0
        var refusal: NATSClientError?
        for _ in 0..<100 {
            do {
                try client.publish(ByteBuffer(repeating: 7, count: 100), subject: "x")
                accepted += 1
            } catch {
                refusal = error
                break
            }
        }
        #expect(accepted > 0 && accepted < 10)
        #expect(refusal?.code == .bufferFull)
        #expect(refusal?.message.contains("1000") == true)
        await client.close()
    }
}
