import Foundation
import Hummingbird
import Logging
import NIOCore
import PlexusCore
import PlexusNode
import PlexusStore
import Synchronization
import Testing

/// Webhook notifications end to end: an endpoint written through `/v1/webhooks`, a receiver
/// the test runs that checks every Standard Webhooks signature, failures retried, the delivery
/// log, secrets hidden from reads, and the SSRF guard refusing every RELIABILITY S4 address.
@Suite struct WebhookNodeTests {
    /// Verifies each POST with the endpoint's secret; answers 500 to the first `failFirst`.
    final class Receiver: Sendable {
        struct Seen: Sendable {
            var verified: Bool
            var body: JSONValue?
        }
        let seen = Mutex<[Seen]>([])
        let secret = Mutex<WebhookSecret?>(nil)
        let task: Task<Void, any Error>
        let port: Int

        init(failFirst: Int) async throws {
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let router = Router()
            let box = Mutex<Receiver?>(nil)
            router.post("/hook") { request, _ -> HTTPResponse.Status in
                let body = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
                guard let receiver = box.withLock({ $0 }) else { return .serviceUnavailable }
                let header = { (name: String) in request.headers.first { $0.name.canonicalName == name }?.value }
                var verified = false
                if let secret = receiver.secret.withLock({ $0 }) {
                    do {
                        try WebhookVerifier(secrets: [secret]).verify(
                            id: header("webhook-id"), timestamp: header("webhook-timestamp"), signature: header("webhook-signature"),
                            body: body, now: WallClock.now())
                        verified = true
                    } catch {}
                }
                let count = receiver.seen.withLock { seen in
                    seen.append(Seen(verified: verified, body: try? JSONParser.parse(body)))
                    return seen.count
                }
                return count <= failFirst ? .internalServerError : .noContent
            }
            var logger = Logger(label: "receiver")
            logger.logLevel = .critical
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                  onServerRunning: { continuation.yield($0.localAddress?.port ?? 0); continuation.finish() }, logger: logger)
            task = Task { try await app.runService() }
            var port = 0
            for await p in ports { port = p; break }
            self.port = port
            box.withLock { $0 = self }
        }

        var url: String { "http://127.0.0.1:\(port)/hook" }
    }

    func put(_ url: String, _ body: String) async throws -> HTTPReply {
        try await HTTP.request(.PUT, url, body: Array(body.utf8))
    }

    @Test func deniedMessagesNotifyASignedWebhookWithRetries() async throws {
        let receiver = try await Receiver(failFirst: 2)
        defer { receiver.task.cancel() }
        let node = try await TestNode.start { config in
            config.webhookAllowlist = ["127.0.0.1"]
            config.webhookRetry = WebhookRetrySchedule(baseDelay: .milliseconds(100), maxDelay: .milliseconds(300), maxAttempts: 6)
        }
        defer { Task { try await node.stop() } }
        let created = try await put(node.base + "/v1/webhooks/audit",
                                     #"{"url": "\#(receiver.url)", "events": ["policy.denied", "validation.failed"]}"#)
        #expect(created.status == 201)
        // The generated secret is shown once, in the reply to the write, and hidden after.
        let secretText = try #require(created.json?["value"]?["secrets"]?.arrayValue?.first?.stringValue)
        receiver.secret.withLock { $0 = try? WebhookSecret(parsing: secretText) }
        #expect(try await HTTP.get(node.base + "/v1/webhooks/audit").json?["value"]?["secrets"] == ["whsec_…"])
        let listed = try await HTTP.get(node.base + "/v1/webhooks").text
        #expect(!listed.contains(secretText))

        #expect(try await put(node.base + "/v1/policies/no-auditor",
                               #"{"when": "topic.startsWith(\"finance.\")", "action": "deny", "reason": "closed"}"#).status == 201)
        #expect(try await HTTP.post(node.base + "/v1/messages", #"{"topic": "finance.eu", "data": {}}"#).status == 403)
        #expect(try await HTTP.post(node.base + "/v1/messages", #"{"topic": "chat.eu", "data": {}}"#).status == 202)

        try await eventually("the receiver accepted the event after two failures") {
            receiver.seen.withLock { $0.count } >= 3
        }
        let seen = receiver.seen.withLock { $0 }
        #expect(seen.allSatisfy { $0.verified }, "every attempt carries a valid signature")
        #expect(seen.last?.body?["type"] == "policy.denied")
        #expect(seen.last?.body?["data"]?["topic"] == "finance.eu")
        #expect(seen.last?.body?["data"]?["policy_decision"]?["reason"] == "closed")
        try await eventually("the delivery log shows three attempts") {
            let log = try await HTTP.get(node.base + "/v1/webhooks/audit/deliveries").json?.arrayValue ?? []
            return log.first?["status"] == "succeeded" && log.first?["attempts"]?.arrayValue?.map { $0["status_code"] } == [500, 500, 204]
        }
        // Rotation: a new secret signs beside the old one.
        let rotated = "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()
        let replaced = try await put(node.base + "/v1/webhooks/audit",
                                      #"{"url": "\#(receiver.url)", "events": ["*"], "secret": "\#(rotated)"}"#)
        #expect(replaced.json?["value"]?["secrets"]?.arrayValue?.compactMap(\.stringValue) == [rotated, secretText])
    }

    /// RELIABILITY S4: refused at create (and, by the dispatcher, at send) unless allowlisted.
    @Test(arguments: [
        "http://127.0.0.1/hook", "http://169.254.169.254/latest/meta-data", "http://10.0.0.8/", "http://172.16.4.1/",
        "http://192.168.1.1/", "http://[::1]/", "http://[fc00::1]/", "http://[::ffff:127.0.0.1]/", "http://2130706433/",
        "file:///etc/passwd", "http://localhost:8080/", "http://100.64.0.1/", "http://0x7f.1/", "http://[fe80::1]/",
    ])
    func ssrfAddressesAreRefusedAtCreate(_ url: String) async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let reply = try await put(node.base + "/v1/webhooks/x", #"{"url": "\#(url)"}"#)
        #expect(reply.status == 400, "\(url) was accepted")
        #expect(try await HTTP.get(node.base + "/v1/webhooks/x").status == 404)
    }
}

