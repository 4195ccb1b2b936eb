import PlexusAPI
import PlexusCore
import PlexusWebhooks

/// The `webhooks` configuration section: `{"url", "events": [..], "topics": [..], "secret"}` as a
/// client writes it, stored as `{"url", "events", "topics", "secrets": [current, previous?]}`.
///
/// The URL passes the SSRF guard (with this node's allowlist) when saved, and again at every
/// send. Without a `secret` a new endpoint gets a generated one (shown once, in the PUT reply)
/// and a changed endpoint keeps its own. A new secret rotates: the previous one keeps signing
/// beside it (two signatures per delivery) until the next rotation, so receivers can switch over
/// without missing a delivery.
enum WebhookSettings {
    static let fields: Set<String> = ["url", "events", "topics", "secret", "description"]
    static let eventKinds: Set<String> = [
        "*", "validation.failed", "policy.denied", "policy.routed", "policy.tagged",
        // Human-in-the-loop sessions: one per state change (docs/human-in-the-loop.md).
        "session.*", "session.created", "session.sent", "session.responded", "session.validated", "session.failed", "session.expired",
        "session.rejected", "session.declined", "session.reprompted", "session.declined_by", "session.updated",
    ]

    static func prepare(_ key: ConfigKey, _ value: JSONValue, _ current: ConfigItem?, guard addressGuard: AddressGuard) throws(PlexusError) -> JSONValue {
        guard case .object(let body) = value else { throw PlexusError(.invalidField, "a webhook must be a JSON object") }
        for field in body.keys where !fields.contains(field) {
            throw PlexusError(.invalidField, "unknown field \"\(field)\" in a webhook; known: \(fields.sorted().joined(separator: ", "))", pointer: "/\(field)")
        }
        guard key.name.utf8.count <= 128 else { throw PlexusError(.invalidField, "a webhook id is at most 128 bytes") }
        guard case .string(let url)? = body["url"] else {
            throw PlexusError(.invalidField, "\"url\" is required: the endpoint to POST events to", pointer: "/url")
        }
        let events = try strings(body, "events") ?? ["*"]
        for (index, event) in events.enumerated() where !eventKinds.contains(event) {
            throw PlexusError(.invalidField, "unknown event kind \"\(event)\"; known: \(eventKinds.sorted().joined(separator: ", "))", pointer: "/events/\(index)")
        }
        let topics = try strings(body, "topics") ?? []
        var secrets = (current?.value?["secrets"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let given = body["secret"] {
            guard case .string(let text) = given else { throw PlexusError(.invalidField, "\"secret\" must be a whsec_ string", pointer: "/secret") }
            do { _ = try WebhookSecret(parsing: text) } catch { throw PlexusError(.invalidField, error.message, pointer: "/secret") }
            if secrets.first != text { secrets = [text] + secrets.prefix(1) }
        } else if secrets.isEmpty {
            var rng = SystemRandomNumberGenerator()
            secrets = [WebhookSecret.generate(using: &rng).encoded]
        }
        let stored: JSONValue = [
            "url": .string(url), "events": .array(events.map { .string($0) }), "topics": .array(topics.map { .string($0) }),
            "secrets": .array(secrets.map { .string($0) }),
        ]
        _ = try endpoint(key.name, stored).validate(addressGuard: addressGuard)
        return stored
    }

    static func strings(_ body: JSONObject, _ field: String) throws(PlexusError) -> [String]? {
        guard let value = body[field] else { return nil }
        guard case .array(let items) = value, items.allSatisfy({ $0.stringValue != nil }) else {
            throw PlexusError(.invalidField, "\"\(field)\" must be an array of strings", pointer: "/\(field)")
        }
        return items.compactMap(\.stringValue)
    }

    /// The stored form as the dispatcher's endpoint.
    static func endpoint(_ id: String, _ value: JSONValue) throws(PlexusError) -> WebhookEndpoint {
        var secrets: [WebhookSecret] = []
        for text in (value["secrets"]?.arrayValue ?? []).compactMap(\.stringValue) { secrets.append(try WebhookSecret(parsing: text)) }
        return WebhookEndpoint(id: id, url: value["url"]?.stringValue ?? "",
                               events: (value["events"]?.arrayValue ?? []).compactMap(\.stringValue),
                               topics: (value["topics"]?.arrayValue ?? []).compactMap(\.stringValue), secrets: secrets)
    }
}
