import PlexusCore
import PlexusWebhooks
import Testing

struct WebhookEndpointTests {
    let secret = try! WebhookSecret(parsing: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")

    func event(kind: String, topic: String?) -> WebhookEvent {
        WebhookEvent(id: "e", kind: kind, topic: topic, timestamp: Timestamp(microseconds: 0), payload: .null)
    }

    @Test func matchesKindsAndTopicPatterns() {
        let all = WebhookEndpoint(id: "a", url: "https://hooks.example.com/", secrets: [secret])
        #expect(all.matches(event(kind: "policy.routed", topic: nil)))
        #expect(all.matches(event(kind: "validation.failed", topic: "x.y")))

        let some = WebhookEndpoint(
            id: "b", url: "https://hooks.example.com/", events: ["policy.denied", "policy.tagged"],
            topics: ["orders.*", "billing.>"], secrets: [secret]
        )
        #expect(some.matches(event(kind: "policy.denied", topic: "orders.created")))
        #expect(some.matches(event(kind: "policy.tagged", topic: "billing.eu.invoice")))
        #expect(!some.matches(event(kind: "policy.denied", topic: "orders.eu.created")))
        #expect(!some.matches(event(kind: "policy.denied", topic: "billing")))
        #expect(!some.matches(event(kind: "policy.routed", topic: "orders.created")))
        #expect(!some.matches(event(kind: "policy.denied", topic: nil)))
    }

    @Test func validationNamesTheBadField() {
        let guardian = AddressGuard()
        func message(_ endpoint: WebhookEndpoint) -> String? {
            do {
                try endpoint.validate(addressGuard: guardian)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message(WebhookEndpoint(id: "ok", url: "https://hooks.example.com/in", secrets: [secret])) == nil)
        #expect(message(WebhookEndpoint(id: "m", url: "http://169.254.169.254/latest", secrets: [secret]))
            == "webhooks.endpoints[m].url is refused: 169.254.169.254 is a link-local / cloud metadata address")
        #expect(message(WebhookEndpoint(id: "f", url: "file:///etc/passwd", secrets: [secret]))?.contains("scheme") == true)
        #expect(message(WebhookEndpoint(id: "s", url: "https://hooks.example.com/", secrets: []))?.contains("secrets") == true)
        #expect(message(WebhookEndpoint(id: "t", url: "https://hooks.example.com/", topics: ["a..b"], secrets: [secret]))?.contains("topics") == true)
        #expect(message(WebhookEndpoint(id: "", url: "https://hooks.example.com/", secrets: [secret])) != nil)
    }

    @Test func bodyIsTheStandardWebhooksEnvelope() {
        let event = WebhookEvent(
            id: "evt", kind: "validation.failed", topic: "a.b", timestamp: Timestamp(microseconds: 1_000_000),
            payload: .object(["field": .string("/amount")])
        )
        #expect(String(decoding: event.body(), as: UTF8.self)
            == #"{"type":"validation.failed","timestamp":"1970-01-01T00:00:01.000000Z","data":{"field":"/amount"}}"#)
    }
}
