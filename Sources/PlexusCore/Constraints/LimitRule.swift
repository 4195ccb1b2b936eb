/// A limit (`/v1/limits/{name}`): a token-bucket rate per key, or a maximum message size.
///
/// Rate: `{"key": "source_subject_id" | [fields...], "rate": 100, "per": "second"|"minute"|"hour",
/// "burst": 200, "topics": [patterns]}`. The key is any envelope field — `source_subject_id`,
/// `topic`, `message_type`, `organisation`, `ingress`, or `metadata.<path>` — or several, each
/// value combination having its own bucket. Rates are per node: every node counts what enters
/// through it (the mesh has no central counter to ask).
///
/// Size: `{"max_bytes": 65536, "topics": [patterns]}` bounds the serialised `message_data`.
public struct LimitRule: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case rate(key: [String], ratePerSecond: Double, burst: Double)
        case size(maxBytes: Int)
    }

    public var name: String
    public var kind: Kind
    public var topics: [TopicPattern]?

    static let fields: Set<String> = ["key", "rate", "per", "burst", "topics", "max_bytes", "description"]
    static let minimumRatePerSecond = 1.0 / 86_400
    static let keyFields: Set<String> = ["source_subject_id", "topic", "message_type", "organisation", "ingress"]

    public init(name: String, _ value: JSONValue) throws(PlexusError) {
        let body = try ConfigBody(value, what: "a limit", known: Self.fields)
        self.name = name
        topics = try body.topicPatterns("topics")
        if let maxBytes = try body.integer("max_bytes") {
            guard maxBytes > 0 else { throw PlexusError(.invalidField, "\"max_bytes\" must be positive", pointer: "/max_bytes") }
            if body.object["rate"] != nil || body.object["key"] != nil {
                throw PlexusError(.invalidField, "a limit is either a size (\"max_bytes\") or a rate (\"key\", \"rate\"), not both")
            }
            kind = .size(maxBytes: Int(maxBytes))
            return
        }
        var key: [String]
        if let single = try? body.string("key") {
            key = [single]
        } else if let many = try body.strings("key"), !many.isEmpty {
            key = many
        } else {
            throw PlexusError(.invalidField, "a rate limit needs \"key\": an envelope field or an array of them", pointer: "/key")
        }
        for (index, field) in key.enumerated() where !Self.keyFields.contains(field) {
            let path = field.hasPrefix("metadata.") ? field.dropFirst("metadata.".count) : ""
            if path.isEmpty || path.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
                throw PlexusError(.invalidField, "\"\(field)\" is not a key field; use \(Self.keyFields.sorted().joined(separator: ", ")) or metadata.<field>",
                                  pointer: key.count == 1 ? "/key" : "/key/\(index)")
            }
        }
        guard let rate = try body.number("rate"), rate > 0 else {
            throw PlexusError(.invalidField, "a rate limit needs a positive \"rate\"", pointer: "/rate")
        }
        let per = try body.string("per") ?? "second"
        let seconds: Double
        switch per {
        case "second": seconds = 1
        case "minute": seconds = 60
        case "hour": seconds = 3_600
        default: throw PlexusError(.invalidField, "\"per\" must be second, minute or hour, not \"\(per)\"", pointer: "/per")
        }
        // Below one token a day a bucket would answer waits too long to express; such a "limit"
        // is a block, which an ACL or a policy says better.
        guard rate / seconds >= Self.minimumRatePerSecond else {
            throw PlexusError(.invalidField, "\"rate\" must be at least one message per day", pointer: "/rate")
        }
        let burst = try body.number("burst") ?? max(1, rate)
        guard burst >= 1, burst <= 1e9 else { throw PlexusError(.invalidField, "\"burst\" must be from 1 to 1e9", pointer: "/burst") }
        kind = .rate(key: key, ratePerSecond: rate / seconds, burst: burst)
    }

    /// The bucket key of a message: the fields' values joined (a missing one is `-`).
    static func keyValue(_ fields: [String], of envelope: Envelope, context: ConstraintContext) -> String {
        var parts: [String] = []
        parts.reserveCapacity(fields.count)
        for field in fields {
            switch field {
            case "source_subject_id": parts.append(envelope.sourceSubjectID ?? "-")
            case "topic": parts.append(envelope.topic.value)
            case "message_type": parts.append(envelope.messageType)
            case "organisation": parts.append(context.organisation)
            case "ingress": parts.append(context.ingress)
            default:
                var value: JSONValue? = .object(envelope.messageMetadata)
                for step in field.dropFirst("metadata.".count).split(separator: ".") { value = value?[String(step)] }
                switch value {
                case .string(let text)?: parts.append(text)
                case nil, .null?: parts.append("-")
                case let other?: parts.append(String(decoding: other.serialized(), as: UTF8.self))
                }
            }
        }
        return parts.joined(separator: "\u{1F}")
    }
}
