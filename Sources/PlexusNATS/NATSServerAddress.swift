import Foundation

/// One server to dial: `nats://[user:pass@|token@]host[:port]` or `tls://…` (TLS from the start
/// of the handshake, whatever the server's INFO says). Credentials in the URL override the
/// configuration's for that server, the way every NATS client reads them.
public struct NATSServerAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var tls: Bool
    public var user: String?
    public var password: String?
    public var token: String?

    public static let defaultPort = 4222

    public init(host: String, port: Int = defaultPort, tls: Bool = false, user: String? = nil, password: String? = nil, token: String? = nil) {
        self.host = host
        self.port = port
        self.tls = tls
        self.user = user
        self.password = password
        self.token = token
    }

    public init(url: URL) throws(NATSClientError) {
        try self.init(url.absoluteString)
    }

    /// Parses a server URL; a bare `host[:port]` means `nats://`.
    public init(_ string: String) throws(NATSClientError) {
        let text = string.contains("://") ? string : "nats://" + string
        guard let components = URLComponents(string: text) else {
            throw NATSClientError(.invalidConfiguration, "server URL \(NATSValidation.quoted(string)) is not a URL")
        }
        let scheme = components.scheme?.lowercased() ?? "nats"
        guard scheme == "nats" || scheme == "tls" else {
            throw NATSClientError(.invalidConfiguration, "server URL \(NATSValidation.quoted(string)) has scheme \(scheme); expected nats:// or tls://")
        }
        guard var host = components.host, !host.isEmpty else {
            throw NATSClientError(.invalidConfiguration, "server URL \(NATSValidation.quoted(string)) has no host")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? Self.defaultPort
        guard (1...65535).contains(port) else {
            throw NATSClientError(.invalidConfiguration, "server URL \(NATSValidation.quoted(string)) has port \(port) outside 1–65535")
        }
        self.init(host: host, port: port, tls: scheme == "tls")
        // `nats://secret@host` is a token, `nats://user:pass@host` a user and password.
        if let user = components.user, !user.isEmpty {
            if let password = components.password {
                self.user = user.removingPercentEncoding ?? user
                self.password = password.removingPercentEncoding ?? password
            } else {
                self.token = user.removingPercentEncoding ?? user
            }
        }
    }

    /// Without credentials: this ends up in logs and status pages.
    public var description: String { "\(tls ? "tls" : "nats")://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}
