/// What kind of address an outbound connection would reach, as far as SSRF is concerned.
///
/// Every class but `global` is refused unless an operator allowlists it: those addresses reach the
/// node itself, the operator's private network, a cloud provider's metadata service (instance
/// credentials), or nothing routable at all. A webhook receiver has no business on any of them.
public enum OutboundAddressClass: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case global
    case unspecified
    case loopback
    case privateUse = "private"
    case sharedCGNAT = "cgnat"
    case linkLocal = "link-local"
    case cloudMetadata = "cloud-metadata"
    case multicast
    case broadcast
    case reserved
    case benchmarking
    case ietfProtocol = "ietf-protocol"
    case documentation
    case teredo
    case nat64LocalUse = "nat64-local"
    case siteLocal = "site-local"

    public var isRefused: Bool { self != .global }

    /// Completes "X is …": `169.254.169.254 is a link-local / cloud metadata address`.
    public var description: String {
        switch self {
        case .global: return "a global unicast address"
        case .unspecified: return "an unspecified (\"this host\") address"
        case .loopback: return "a loopback address"
        case .privateUse: return "a private-use address"
        case .sharedCGNAT: return "a shared carrier-grade NAT (100.64.0.0/10) address"
        case .linkLocal: return "a link-local address"
        case .cloudMetadata: return "a link-local / cloud metadata address"
        case .multicast: return "a multicast address"
        case .broadcast: return "the limited broadcast address"
        case .reserved: return "a reserved address"
        case .benchmarking: return "a benchmarking (RFC 2544) address"
        case .ietfProtocol: return "an IETF protocol assignment address"
        case .documentation: return "a documentation-only address"
        case .teredo: return "a Teredo tunnel address"
        case .nat64LocalUse: return "a local-use NAT64 address"
        case .siteLocal: return "a deprecated site-local address"
        }
    }
}

extension OutboundAddress {
    /// How an IPv6 address carries an IPv4 one, for the addresses that are really IPv4 in disguise.
    public enum Embedding: String, Sendable, Hashable {
        case mapped = "IPv4-mapped"
        case compatible = "IPv4-compatible"
        case translated = "IPv4-translated"
        case nat64 = "NAT64"
        case sixToFour = "6to4"
    }

    /// The IPv4 address inside `::ffff:a.b.c.d`, `::a.b.c.d`, `::ffff:0:a.b.c.d`, `64:ff9b::a.b.c.d`
    /// or `2002:aabb:ccdd::/48`. Traffic to those ends up at that IPv4 address (through the kernel,
    /// a NAT64 gateway or a 6to4 relay), so it is that address that must be judged.
    public var embeddedIPv4: (address: OutboundAddress, embedding: Embedding)? {
        guard case .v6(let value) = self else { return nil }
        let low32 = OutboundAddress.v4(UInt32(truncatingIfNeeded: value))
        if value >> 32 == 0xFFFF { return (low32, .mapped) }
        if value >> 32 == 0xFFFF_0000 { return (low32, .translated) }
        // :: and ::1 are the unspecified and loopback addresses, not IPv4-compatible ones.
        if value >> 32 == 0, value > 1 { return (low32, .compatible) }
        if value >> 32 == UInt128(0x0064_FF9B) << 64 { return (low32, .nat64) }
        if value >> 112 == 0x2002 {
            return (.v4(UInt32(truncatingIfNeeded: value >> 80)), .sixToFour)
        }
        return nil
    }

    /// The class of this address itself; for IPv6 forms that embed an IPv4 address the embedded
    /// address is classified instead (see `embeddedIPv4`).
    public var addressClass: OutboundAddressClass {
        if let (inner, _) = embeddedIPv4 { return inner.addressClass }
        let table = isIPv6 ? Self.ipv6Classes : Self.ipv4Classes
        for (range, addressClass) in table where range.contains(self) {
            return addressClass
        }
        // Only 2000::/3 is allocated as global unicast; the rest of the IPv6 space routes nowhere
        // public (the special blocks outside it were matched above).
        if case .v6(let value) = self, value >> 125 != 0b001 { return .reserved }
        return .global
    }

    // First match wins: specific blocks (metadata hosts) come before the blocks that contain them.
    private static let ipv4Classes: [(OutboundAddressRange, OutboundAddressClass)] = [
        (.block("169.254.169.254/32"), .cloudMetadata),  // AWS, GCP, Azure, OpenStack...
        (.block("100.100.100.200/32"), .cloudMetadata),  // Alibaba Cloud
        (.block("0.0.0.0/8"), .unspecified),
        (.block("127.0.0.0/8"), .loopback),
        (.block("10.0.0.0/8"), .privateUse),
        (.block("172.16.0.0/12"), .privateUse),
        (.block("192.168.0.0/16"), .privateUse),
        (.block("100.64.0.0/10"), .sharedCGNAT),
        (.block("169.254.0.0/16"), .linkLocal),
        (.block("192.0.0.0/24"), .ietfProtocol),
        (.block("192.0.2.0/24"), .documentation),
        (.block("198.51.100.0/24"), .documentation),
        (.block("203.0.113.0/24"), .documentation),
        (.block("198.18.0.0/15"), .benchmarking),
        (.block("192.88.99.0/24"), .reserved),  // former 6to4 relay anycast
        (.block("224.0.0.0/4"), .multicast),
        (.block("255.255.255.255/32"), .broadcast),
        (.block("240.0.0.0/4"), .reserved),
    ]

    private static let ipv6Classes: [(OutboundAddressRange, OutboundAddressClass)] = [
        (.block("::/128"), .unspecified),
        (.block("::1/128"), .loopback),
        (.block("fd00:ec2::254/128"), .cloudMetadata),  // AWS over IPv6
        (.block("64:ff9b:1::/48"), .nat64LocalUse),
        (.block("100::/64"), .reserved),  // discard-only
        (.block("2001::/32"), .teredo),
        (.block("2001:db8::/32"), .documentation),
        (.block("3fff::/20"), .documentation),
        (.block("2001:2::/48"), .benchmarking),
        (.block("2001::/23"), .ietfProtocol),
        (.block("fc00::/7"), .privateUse),
        (.block("fe80::/10"), .linkLocal),
        (.block("fec0::/10"), .siteLocal),
        (.block("ff00::/8"), .multicast),
    ]
}
