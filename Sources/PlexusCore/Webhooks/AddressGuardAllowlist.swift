/// Addresses and host names an operator lets through the guard: a webhook receiver on the same
/// host or in the private network on purpose. Empty by default, so nothing internal is reachable
/// unless someone wrote it down.
public struct AddressGuardAllowlist: Sendable, Hashable {
    public var ranges: [OutboundAddressRange]
    /// Lower-case host names, matched exactly; `*.example.internal` matches any name below it.
    /// An allowlisted name may resolve to any address: the operator vouched for the name.
    public var hosts: [String]

    public init(ranges: [OutboundAddressRange] = [], hosts: [String] = []) {
        self.ranges = ranges
        self.hosts = hosts.map { $0.lowercased() }
    }

    /// Reads configuration entries: each an IP address, a CIDR block or a host name.
    public init(parsing entries: [String]) throws(PlexusError) {
        var ranges: [OutboundAddressRange] = []
        var hosts: [String] = []
        for entry in entries {
            let trimmed = entry.trimmingASCIIWhitespace()
            if trimmed.contains("/") || OutboundAddress(trimmed) != nil {
                ranges.append(try OutboundAddressRange(parsing: trimmed))
                continue
            }
            let name = trimmed.hasPrefix("*.") ? String(trimmed.dropFirst(2)) : trimmed
            let valid = !name.isEmpty && name.utf8.allSatisfy { byte in
                (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            }
            guard valid else {
                throw PlexusError(.invalidField, "allowlist entry \"\(entry)\" is neither an IP address, a CIDR block nor a host name")
            }
            hosts.append(trimmed.lowercased())
        }
        self.init(ranges: ranges, hosts: hosts)
    }

    public var isEmpty: Bool { ranges.isEmpty && hosts.isEmpty }

    public func allows(_ address: OutboundAddress) -> Bool {
        ranges.contains { $0.contains(address) }
    }

    /// `host` lower-cased, without a trailing dot.
    public func allows(host: String) -> Bool {
        hosts.contains { entry in
            if entry.hasPrefix("*.") { return host.hasSuffix(entry.dropFirst(1)) }
            return entry == host
        }
    }
}

extension String {
    fileprivate func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
