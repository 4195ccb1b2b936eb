/// What a server says about itself in INFO: limits the client must respect (`max_payload`),
/// whether TLS and auth are needed, and where else it can be reached. Unknown fields are ignored
/// so a newer server's INFO still decodes.
public struct NATSServerInfo: Sendable, Hashable, Codable {
    public var serverID: String
    public var serverName: String?
    public var version: String
    public var maxPayload: Int
    public var proto: Int?
    public var headers: Bool
    public var tlsRequired: Bool
    public var tlsAvailable: Bool
    public var authRequired: Bool
    public var connectURLs: [String]
    public var nonce: String?
    public var jetStream: Bool
    public var lameDuckMode: Bool

    public init(
        serverID: String = "", serverName: String? = nil, version: String = "", maxPayload: Int = 1_048_576,
        proto: Int? = 1, headers: Bool = true, tlsRequired: Bool = false, tlsAvailable: Bool = false,
        authRequired: Bool = false, connectURLs: [String] = [], nonce: String? = nil, jetStream: Bool = false,
        lameDuckMode: Bool = false
    ) {
        self.serverID = serverID
        self.serverName = serverName
        self.version = version
        self.maxPayload = maxPayload
        self.proto = proto
        self.headers = headers
        self.tlsRequired = tlsRequired
        self.tlsAvailable = tlsAvailable
        self.authRequired = authRequired
        self.connectURLs = connectURLs
        self.nonce = nonce
        self.jetStream = jetStream
        self.lameDuckMode = lameDuckMode
    }

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id", serverName = "server_name", version, maxPayload = "max_payload", proto, headers
        case tlsRequired = "tls_required", tlsAvailable = "tls_available", authRequired = "auth_required"
        case connectURLs = "connect_urls", nonce, jetStream = "jetstream", lameDuckMode = "ldm"
    }

    /// Every field but `server_id` is optional on the wire: old servers omit `headers`, most omit
    /// `tls_available`; the defaults are what a missing field means.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        serverID = try c.decodeIfPresent(String.self, forKey: .serverID) ?? ""
        serverName = try c.decodeIfPresent(String.self, forKey: .serverName)
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? ""
        maxPayload = try c.decodeIfPresent(Int.self, forKey: .maxPayload) ?? 1_048_576
        proto = try c.decodeIfPresent(Int.self, forKey: .proto)
        headers = try c.decodeIfPresent(Bool.self, forKey: .headers) ?? false
        tlsRequired = try c.decodeIfPresent(Bool.self, forKey: .tlsRequired) ?? false
        tlsAvailable = try c.decodeIfPresent(Bool.self, forKey: .tlsAvailable) ?? false
        authRequired = try c.decodeIfPresent(Bool.self, forKey: .authRequired) ?? false
        connectURLs = try c.decodeIfPresent([String].self, forKey: .connectURLs) ?? []
        nonce = try c.decodeIfPresent(String.self, forKey: .nonce)
        jetStream = try c.decodeIfPresent(Bool.self, forKey: .jetStream) ?? false
        lameDuckMode = try c.decodeIfPresent(Bool.self, forKey: .lameDuckMode) ?? false
    }
}
