import PlexusCore

/// The RFC 9457 problem document a Plexus node sends with every error (HTTP body, or a text frame
/// before a WebSocket close), so a client can switch on a stable `type` and show `detail`.
public struct ProblemDetails: Sendable, Hashable {
    /// Where every Plexus problem type lives; `code` is what follows it.
    public static let typeBase = "https://plexus.dev/problems/"

    /// A stable URI such as `https://plexus.dev/problems/not-found`.
    public var type: String
    public var title: String?
    public var status: Int?
    public var detail: String?
    /// A JSON pointer to the offending part of the request, when the node named one.
    public var pointer: String?
    /// Seconds to wait before retrying, for `rate-limited`.
    public var retryAfter: Int?
    /// The whole document, for fields this client does not know.
    public var raw: JSONValue

    /// The short code (`not-found`, `conflict`, `invalid-field`...), or nil for a foreign type.
    public var code: String? {
        type.hasPrefix(Self.typeBase) ? String(type.dropFirst(Self.typeBase.count)) : nil
    }

    /// Reads a problem document; nil when `json` has no string `type`.
    public init?(json: JSONValue) {
        guard let type = json["type"]?.stringValue else { return nil }
        self.type = type
        title = json["title"]?.stringValue
        status = json["status"]?.integerValue.map { Int($0) }
        detail = json["detail"]?.stringValue
        pointer = json["pointer"]?.stringValue
        retryAfter = json["retry_after"]?.integerValue.map { Int($0) }
        raw = json
    }

    /// A WebSocket frame that is a problem rather than data: the node refused the stream (a bad
    /// filter, an unknown session) and will close with 1008 next. Messages always carry `topic`
    /// and sessions `session_id`, so neither is mistaken for a problem.
    init?(frame json: JSONValue) {
        guard json["topic"] == nil, json["session_id"] == nil,
              json["type"]?.stringValue?.hasPrefix(Self.typeBase) == true
        else { return nil }
        self.init(json: json)
    }
}
