import PlexusCore

/// A receiver of webhook notifications, as the configuration store describes it.
public struct WebhookEndpoint: Sendable, Hashable {
    /// Stable identifier: deliveries and the 410-disabled flag are keyed by it.
    public var id: String
    public var url: String
    /// Event kinds to send (`validation.failed`, `policy.denied`...); `"*"` sends every kind.
    public var events: [String]
    /// Topic patterns (`orders.*`, `orders.>`); empty sends events of every topic, and events
    /// without a topic. Non-empty sends only events whose topic matches one of them.
    public var topics: [String]
    /// The current secret first, then previous ones still signed with during a rotation.
    public var secrets: [WebhookSecret]
    /// Disabled by the operator. (A 410 from the receiver disables it in the dispatcher instead,
    /// persisted there, whatever this says.)
    public var disabled: Bool

    public init(id: String, url: String, events: [String] = ["*"], topics: [String] = [], secrets: [WebhookSecret], disabled: Bool = false) {
        self.id = id
        self.url = url
        self.events = events
        self.topics = topics
        self.secrets = secrets
        self.disabled = disabled
    }

    /// Checks the endpoint when it is created or changed, naming the bad field. The URL goes
    /// through the address guard here (and again at every send, after resolving its host).
    public func validate(addressGuard: AddressGuard) throws(PlexusError) {
        let key = "webhooks.endpoints[\(id)]"
        guard !id.isEmpty, id.utf8.count <= 128, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw PlexusError(.invalidField, "a webhook endpoint id must be 1 to 128 printable ASCII characters without spaces")
        }
        do {
            _ = try addressGuard.check(url: url)
        } catch {
            throw PlexusError(.invalidField, "\(key).url is refused: \(error.message)")
        }
        guard !secrets.isEmpty else {
            throw PlexusError(.invalidField, "\(key).secrets is empty; every webhook is signed")
        }
        guard !events.isEmpty else {
            throw PlexusError(.invalidField, "\(key).events is empty; use [\"*\"] for every kind")
        }
        for topic in topics {
            do {
                _ = try TopicPattern(topic)
            } catch {
                throw PlexusError(.invalidField, "\(key).topics: \(error.message)")
            }
        }
    }

    /// Whether `event` is one this endpoint subscribed to (ignores `disabled`).
    public func matches(_ event: WebhookEvent) -> Bool {
        // `session.*` subscribes to a family of kinds.
        guard events.contains(where: { $0 == "*" || $0 == event.kind || ($0.hasSuffix(".*") && event.kind.hasPrefix($0.dropLast())) }) else {
            return false
        }
        if topics.isEmpty { return true }
        guard let topic = event.topic else { return false }
        return topics.contains { pattern in
            (try? TopicPattern(pattern))?.matches(topic) ?? false
        }
    }
}
