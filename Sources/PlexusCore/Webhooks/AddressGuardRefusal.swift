/// Why the guard refused an outbound URL or address. Crosses into the shells and onto the HTTP API
/// (and into a webhook's delivery log), so the message names the URL part or address at fault.
public struct AddressGuardRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Not a URL the guard can read (control characters, backslashes, bad port, non-ASCII host...).
        case invalidURL = "invalid-url"
        /// A scheme other than http or https (`file:`, `gopher:`, `ftp:`...).
        case unsupportedScheme = "unsupported-scheme"
        /// `user:password@` in the URL: credentials belong in the secret, and `@` tricks hide the real host.
        case userinfo
        /// No host at all.
        case missingHost = "missing-host"
        /// A name that always means this machine (`localhost`, `*.localhost`).
        case refusedName = "refused-name"
        /// The address (written in the URL or resolved from its host) is in a refused class.
        case refusedAddress = "refused-address"
        /// The host resolved to no address.
        case noAddress = "no-address"
    }

    public var code: Code
    /// The class of the refused address, for `refusedAddress`.
    public var addressClass: OutboundAddressClass?
    public var message: String

    public init(_ code: Code, _ message: String, addressClass: OutboundAddressClass? = nil) {
        self.code = code
        self.message = message
        self.addressClass = addressClass
    }

    public var description: String { message }
}
