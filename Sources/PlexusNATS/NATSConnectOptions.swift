/// The JSON of CONNECT. `headers` and `no_responders` are always on: without them the server
/// sends no HMSG and a request to a subject nobody serves waits for its whole timeout instead of
/// failing at once.
public struct NATSConnectOptions: Sendable, Hashable, Encodable {
    public var verbose = false
    public var pedantic = false
    public var tlsRequired: Bool
    public var name: String?
    public var lang = "swift"
    public var version = "0.1.0"
    public var protocolVersion = 1
    public var echo: Bool
    public var headers = true
    public var noResponders = true
    public var user: String?
    public var password: String?
    public var authToken: String?

    public init(
        tlsRequired: Bool = false, name: String? = nil, echo: Bool = false,
        user: String? = nil, password: String? = nil, authToken: String? = nil
    ) {
        self.tlsRequired = tlsRequired
        self.name = name
        self.echo = echo
        self.user = user
        self.password = password
        self.authToken = authToken
    }

    enum CodingKeys: String, CodingKey {
        case verbose, pedantic, tlsRequired = "tls_required", name, lang, version, protocolVersion = "protocol", echo
        case headers, noResponders = "no_responders", user, password = "pass", authToken = "auth_token"
    }
}

extension NATSConnectOptions: CustomStringConvertible {
    /// Never shows the password or token: connect options end up in logs.
    public var description: String {
        "CONNECT(name: \(name ?? "-"), user: \(user ?? "-"), password: \(password == nil ? "no" : "yes"), token: \(authToken == nil ? "no" : "yes"), tls: \(tlsRequired), echo: \(echo))"
    }
}
