/// An outbound URL as the guard read it: what a shell connects to and what it sends, so the
/// connection goes exactly where the check looked (no second URL parser to disagree with).
public struct AddressGuardTarget: Sendable, Hashable {
    public enum Scheme: String, Sendable, Hashable {
        case http, https
        public var defaultPort: Int { self == .https ? 443 : 80 }
    }

    public var scheme: Scheme
    /// Lower-cased host name, or the canonical text of an IP address (IPv6 without brackets).
    /// Used for the Host header, TLS SNI and certificate verification.
    public var host: String
    /// Set when the host is an IP address, in whatever spelling the URL used.
    public var literalAddress: OutboundAddress?
    public var port: Int
    /// Path and query, starting with `/` (the fragment is dropped: it is never sent).
    public var requestTarget: String

    public init(scheme: Scheme, host: String, literalAddress: OutboundAddress?, port: Int, requestTarget: String) {
        self.scheme = scheme
        self.host = host
        self.literalAddress = literalAddress
        self.port = port
        self.requestTarget = requestTarget
    }

    /// The Host header value: the port only when it is not the scheme's default, IPv6 in brackets.
    public var hostHeader: String {
        let name = literalAddress?.isIPv6 == true ? "[\(host)]" : host
        return port == scheme.defaultPort ? name : "\(name):\(port)"
    }
}
