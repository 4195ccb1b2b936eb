import PlexusCore

/// What an edge reports in `GET /healthz` and in its backbone entry of the registry.
public struct EdgeHealth: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case connecting, connected, reconnecting, stopped
    }

    /// `redis` or `nats`.
    public var kind: String
    /// The server, without credentials (`redis://127.0.0.1:6379/0`).
    public var server: String
    public var state: State = .connecting
    /// Messages logged from the edge's lists or subjects.
    public var ingested: Int = 0
    /// Items that failed validation (Redis: moved to the dead-letter list with the reason;
    /// NATS: answered with the error when the publisher asked for a reply).
    public var rejected: Int = 0
    /// Messages published out through the edge.
    public var published: Int = 0
    /// Log entries the egress has not published yet.
    public var lag: Int64 = 0
    /// Core-NATS messages dropped before the node could take them (a slow subscription).
    public var dropped: Int = 0
    public var reconnects: Int = 0
    public var errors: Int = 0
    public var lastError: String?

    public init(kind: String, server: String) {
        self.kind = kind
        self.server = server
    }

    public var json: JSONValue {
        var object: JSONObject = [
            "kind": .string(kind),
            "server": .string(server),
            "state": .string(state.rawValue),
            "connected": .bool(state == .connected),
            "ingested": .integer(Int64(ingested)),
            "rejected": .integer(Int64(rejected)),
            "published": .integer(Int64(published)),
            "lag": .integer(lag),
            "dropped": .integer(Int64(dropped)),
            "reconnects": .integer(Int64(reconnects)),
            "errors": .integer(Int64(errors)),
        ]
        if let lastError { object["last_error"] = .string(lastError) }
        return .object(object)
    }
}
