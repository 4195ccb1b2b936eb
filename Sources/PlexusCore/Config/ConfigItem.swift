/// One version of one configuration item, as written by some node and spread through the mesh.
///
/// Every node keeps the newest version of each key (last writer wins). "Newest" is decided by
/// `version` first — a writer numbers its change one above the newest it had seen, so a node whose
/// clock runs behind still supersedes what it read — then by the writer's clock, then by node id,
/// so two concurrent writes of the same version resolve the same way on every node.
public struct ConfigItem: Sendable, Hashable {
    public var key: ConfigKey
    /// The value; nil when this version deletes the item (a delete must outrank older writes
    /// from other nodes, so it is a version like any other, not an absence).
    public var value: JSONValue?
    public var version: Int64
    public var at: Timestamp
    /// The node that made the change.
    public var node: String
    /// Who asked for it, when the request said (`X-Plexus-Actor`); otherwise nil.
    public var author: String?

    public init(key: ConfigKey, value: JSONValue?, version: Int64, at: Timestamp, node: String, author: String? = nil) {
        self.key = key
        self.value = value
        self.version = version
        self.at = at
        self.node = node
        self.author = author
    }

    // `value == nil` would not do: JSONValue is ExpressibleByNilLiteral, so `nil` there means
    // `.null` and the comparison is never true for an absent value.
    public var isDeleted: Bool {
        if case .none = value { return true }
        return false
    }

    /// Whether this version supersedes `other` (same key).
    public func supersedes(_ other: ConfigItem) -> Bool {
        (version, at, node) > (other.version, other.at, other.node)
    }

    /// The form gossiped, persisted in the history and shown by the API.
    public var json: JSONValue {
        var object: JSONObject = [
            "section": .string(key.section.rawValue),
            "name": .string(key.name),
            "version": .integer(version),
            "updated_at": .string(at.rfc3339),
            "updated_by_node": .string(node),
            "author": author.map { .string($0) } ?? .null,
            "deleted": .bool(isDeleted),
        ]
        object["value"] = value ?? .null
        return .object(object)
    }

    /// Reads the form `json` writes; anything else is an error naming the field.
    public init(json: JSONValue) throws(PlexusError) {
        guard case .object(let object) = json else { throw PlexusError(.invalidField, "a config item must be an object") }
        func string(_ field: String) throws(PlexusError) -> String {
            guard case .string(let text)? = object[field] else {
                throw PlexusError(.invalidField, "config item field \"\(field)\" must be a string", pointer: "/\(field)")
            }
            return text
        }
        guard let section = ConfigSection(rawValue: try string("section")) else {
            throw PlexusError(.invalidField, "unknown config section", pointer: "/section")
        }
        let key = try ConfigKey(section, try string("name"))
        // Bounded so that `next` (version + 1) can never overflow, whatever a peer published.
        guard case .integer(let version)? = object["version"], version > 0, version < Int64.max / 2 else {
            throw PlexusError(.invalidField, "config item field \"version\" must be a positive integer", pointer: "/version")
        }
        guard let at = Timestamp(rfc3339: try string("updated_at")) else {
            throw PlexusError(.invalidField, "config item field \"updated_at\" must be an RFC 3339 timestamp", pointer: "/updated_at")
        }
        let deleted = object["deleted"] == .bool(true)
        // Spelled out: a bare `nil` in this ternary would be inferred as JSONValue's `.null`.
        let value: JSONValue? = deleted ? Optional.none : (object["value"] ?? .null)
        self.init(key: key, value: value, version: version, at: at,
                  node: try string("updated_by_node"), author: object["author"]?.stringValue)
    }
}
