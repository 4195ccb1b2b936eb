/// The SSRF guard for every URL the node connects to on a user's say-so (RELIABILITY S4).
///
/// It decides in two steps because only the shell may touch DNS:
/// 1. `check(url:)` when the URL is created and again before each send: syntax, scheme, no
///    userinfo, names that always mean this machine, and IP literals in any spelling.
/// 2. `check(resolved:for:)` at send time on every address the shell resolved for the host. The
///    shell then connects to one of those checked addresses itself (pinning it), so a name that
///    resolves differently a moment later (DNS rebinding) cannot slip in between check and connect.
///
/// Pure: no resolution, no sockets, no clock.
public struct AddressGuard: Sendable, Hashable {
    public var allowlist: AddressGuardAllowlist

    public init(allowlist: AddressGuardAllowlist = AddressGuardAllowlist()) {
        self.allowlist = allowlist
    }

    /// Reads `url` and refuses what can be refused without DNS.
    public func check(url: String) throws(AddressGuardRefusal) -> AddressGuardTarget {
        let (target, written) = try Self.parse(url)
        if let address = target.literalAddress {
            try check(address, writtenAs: written, resolvedFrom: nil)
        } else if !allowlist.allows(host: target.host), Self.isLocalhostName(target.host) {
            throw AddressGuardRefusal(.refusedName, "\(target.host) always names this machine (loopback)", addressClass: .loopback)
        }
        return target
    }

    /// Checks the addresses the shell resolved for `target.host` and returns them (in order) for
    /// the shell to connect to. Refuses when ANY of them is refused: a name that mixes a public
    /// and an internal address is either misconfigured or an attack, and which one a connection
    /// would use is up to chance.
    public func check(resolved addresses: [OutboundAddress], for target: AddressGuardTarget) throws(AddressGuardRefusal) -> [OutboundAddress] {
        if let literal = target.literalAddress {
            try check(literal, writtenAs: target.host, resolvedFrom: nil)
            return [literal]
        }
        guard !addresses.isEmpty else {
            throw AddressGuardRefusal(.noAddress, "\(target.host) resolved to no address")
        }
        if allowlist.allows(host: target.host) { return addresses }
        for address in addresses {
            try check(address, writtenAs: nil, resolvedFrom: target.host)
        }
        return addresses
    }

    /// Refuses one address unless it is global unicast or allowlisted.
    public func check(_ address: OutboundAddress) throws(AddressGuardRefusal) {
        try check(address, writtenAs: nil, resolvedFrom: nil)
    }

    private func check(_ address: OutboundAddress, writtenAs written: String?, resolvedFrom host: String?) throws(AddressGuardRefusal) {
        let addressClass = address.addressClass
        guard addressClass.isRefused, !allowlist.allows(address) else { return }
        // Name the address as the user wrote it and as it really is, so "2130706433" or
        // "::ffff:7f00:1" in a refusal is not a puzzle.
        let canonical = address.description
        let classText: String
        if let (inner, embedding) = address.embeddedIPv4 {
            classText = "an \(embedding.rawValue) form of \(inner), \(addressClass)"
        } else {
            classText = "\(addressClass)"
        }
        let sentence: String
        if let host {
            sentence = "\(host) resolves to \(canonical), which is \(classText)"
        } else if let written, written != canonical, !written.contains(":") {
            sentence = "\(written) is the IPv4 address \(canonical), which is \(classText)"
        } else if let written, written != canonical {
            sentence = "\(written) (\(canonical)) is \(classText)"
        } else {
            sentence = "\(canonical) is \(classText)"
        }
        throw AddressGuardRefusal(.refusedAddress, sentence, addressClass: addressClass)
    }

    /// `localhost`, `localhost.` and anything below `.localhost` (RFC 6761: always loopback).
    static func isLocalhostName(_ host: String) -> Bool {
        host == "localhost" || host.hasSuffix(".localhost")
    }
}
