import OrderedCollections

/// A human-in-the-loop channel as the original system described it (`channel_id`,
/// `channel_name`, `channel_description`, `channel_metadata`, `channel_tags`), with the kind and
/// its settings read from the metadata and checked when the channel is saved.
///
/// Channels live in the mesh-wide configuration store (section `channels`): a channel created on
/// one node serves sessions on every node of the organisation, and its secrets never leave it.
public struct ChannelRecord: Sendable, Hashable {
    public static let fieldNames: Set<String> = ["channel_id", "channel_name", "channel_description", "channel_metadata", "channel_tags"]

    public var id: String
    public var name: String
    public var description: String
    public var metadata: JSONObject
    public var tags: [String]
    public var kind: ChannelKind

    /// The built-in channel every node has: its own web inbox.
    public static let inbox = ChannelRecord(
        id: "inbox", name: "Web inbox", description: "Sessions answered on the node's /inbox page", metadata: ["type": "inbox"], tags: [],
        kind: .inbox)

    init(id: String, name: String, description: String, metadata: JSONObject, tags: [String], kind: ChannelKind) {
        self.id = id
        self.name = name
        self.description = description
        self.metadata = metadata
        self.tags = tags
        self.kind = kind
    }

    /// Reads and checks a channel document. `id` is the path's (it wins over a body's, which must
    /// agree). URLs are checked for shape here; the node's address guard checks where they point.
    public init(id: String, _ body: JSONValue) throws(PlexusError) {
        guard case .object(let object) = body else {
            throw PlexusError(.invalidField, "a channel must be a JSON object with channel_name and channel_metadata")
        }
        for key in object.keys where !Self.fieldNames.contains(key) {
            throw PlexusError(.invalidField, "unknown channel field \"\(key)\"; the fields are \(Self.fieldNames.sorted().joined(separator: ", "))", pointer: "/\(key)")
        }
        self.id = try SessionDraft.identifier(.string(id), field: "channel_id")
        if let given = object["channel_id"]?.stringValue, given != id {
            throw PlexusError(.invalidField, "channel_id \(given) in the body differs from \(id)", pointer: "/channel_id")
        }
        name = try Self.text(object["channel_name"], "channel_name") ?? id
        description = try Self.text(object["channel_description"], "channel_description") ?? ""
        switch object["channel_metadata"] {
        case nil, .null?: metadata = [:]
        case .object(let value)?: metadata = value
        default: throw PlexusError(.invalidField, "channel_metadata must be an object", pointer: "/channel_metadata")
        }
        switch object["channel_tags"] {
        case nil, .null?: tags = []
        case .array(let values)?:
            tags = []
            for (index, value) in values.enumerated() {
                guard let tag = value.stringValue, !tag.isEmpty, tag.utf8.count <= 128 else {
                    throw PlexusError(.invalidField, "channel_tags must be strings of 1 to 128 bytes", pointer: "/channel_tags/\(index)")
                }
                tags.append(tag)
            }
        default: throw PlexusError(.invalidField, "channel_tags must be an array of strings", pointer: "/channel_tags")
        }
        kind = try Self.kind(metadata)
        try checkSettings()
    }

    static func text(_ value: JSONValue?, _ field: String) throws(PlexusError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)? where text.utf8.count <= 4096: return text
        default: throw PlexusError(.invalidField, "\(field) must be a string of at most 4096 bytes", pointer: "/\(field)")
        }
    }

    static func kind(_ metadata: JSONObject) throws(PlexusError) -> ChannelKind {
        guard let type = metadata["type"] else {
            // The original's custom channels had only an endpoint_url.
            if metadata["endpoint_url"] != nil { return .webhook }
            throw PlexusError(.invalidField, "channel_metadata.type is required (one of \(ChannelKind.allCases.map(\.rawValue).joined(separator: ", "))), or endpoint_url for a custom webhook channel", pointer: "/channel_metadata/type")
        }
        guard let text = type.stringValue, let kind = ChannelKind(rawValue: text) else {
            throw PlexusError(.invalidField, "channel_metadata.type must be one of \(ChannelKind.allCases.map(\.rawValue).joined(separator: ", "))", pointer: "/channel_metadata/type")
        }
        return kind
    }

    /// The settings each kind needs, by name.
    func checkSettings() throws(PlexusError) {
        switch kind {
        case .webhook:
            _ = try string("endpoint_url")
        case .slack:
            _ = try string("webhook_url")
            _ = try string("signing_secret")
        case .teams:
            _ = try string("webhook_url")
        case .email:
            _ = try string("smtp_host")
            _ = try string("from")
            // Every entry an address: `recipients` drops non-strings, and an empty one would only
            // fail at send time, long after the channel was saved.
            let to = metadata["to"].map { $0.arrayValue ?? [$0] } ?? []
            if to.isEmpty || to.contains(where: { ($0.stringValue ?? "").isEmpty }) {
                throw PlexusError(.invalidField, "channel_metadata.to must be an address or a list of addresses, at least one", pointer: "/channel_metadata/to")
            }
            if let port = metadata["smtp_port"], !(port.integerValue.map { (1...65_535).contains($0) } ?? false) {
                throw PlexusError(.invalidField, "channel_metadata.smtp_port must be a port number", pointer: "/channel_metadata/smtp_port")
            }
            // Scalars, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
            for address in [try string("from")] + recipients where address.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "<" || $0 == ">" }) {
                throw PlexusError(.invalidField, "mail address \"\(address.prefix(64))\" contains a line break or angle bracket", pointer: "/channel_metadata")
            }
        case .mesh:
            _ = try SessionDraft.identifier(.string(try string("subject_id")), field: "channel_metadata/subject_id")
        case .inbox:
            break
        }
    }

    /// A required string setting of `channel_metadata`.
    public func string(_ key: String) throws(PlexusError) -> String {
        guard let value = metadata[key]?.stringValue, !value.isEmpty else {
            throw PlexusError(.invalidField, "channel_metadata.\(key) is required for a \(kind.rawValue) channel", pointer: "/channel_metadata/\(key)")
        }
        return value
    }

    /// Email recipients: `to` as one address or a list.
    public var recipients: [String] {
        switch metadata["to"] {
        case .string(let one)?: [one]
        case .array(let many)?: many.compactMap(\.stringValue)
        default: []
        }
    }

    /// The channel's HTTP destination, for the kinds that POST.
    public var url: String? {
        switch kind {
        case .webhook: metadata["endpoint_url"]?.stringValue
        case .slack, .teams: metadata["webhook_url"]?.stringValue
        case .email, .mesh, .inbox: nil
        }
    }

    public var json: JSONValue {
        [
            "channel_id": .string(id), "channel_name": .string(name), "channel_description": .string(description),
            "channel_metadata": .object(metadata), "channel_tags": .array(tags.map { .string($0) }),
        ]
    }

    /// What reads show in place of a secret; written back, it keeps the stored value.
    public static let hidden = "…(hidden)"

    /// The document as reads show it: secret settings replaced by a hint.
    public var maskedJSON: JSONValue {
        var copy = self
        for field in kind.secretFields where copy.metadata[field] != nil { copy.metadata[field] = .string(Self.hidden) }
        return copy.json
    }
}
