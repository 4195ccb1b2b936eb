/// A CIDR block (`10.0.0.0/8`, `fc00::/7`): the unit of the guard's tables and of operator allowlists.
public struct OutboundAddressRange: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the block (host bits cleared).
    public let network: OutboundAddress
    public let prefixLength: Int

    public init(_ network: OutboundAddress, prefixLength: Int) {
        let bits = network.isIPv6 ? 128 : 32
        self.prefixLength = max(0, min(prefixLength, bits))
        switch network {
        case .v4(let value):
            self.network = .v4(value & Self.mask32(self.prefixLength))
        case .v6(let value):
            self.network = .v6(value & Self.mask128(self.prefixLength))
        }
    }

    /// Parses `address/prefix`, or a bare address as a block of one.
    public init(parsing text: String) throws(PlexusError) {
        let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let address = OutboundAddress(pieces[0]) else {
            throw PlexusError(.invalidField, "\"\(text)\" is not an IP address or CIDR block (write e.g. 10.0.0.0/8 or fd00::/8)")
        }
        let bits = address.isIPv6 ? 128 : 32
        var length = bits
        if pieces.count == 2 {
            guard let parsed = Int(pieces[1]), (0...bits).contains(parsed), pieces[1].utf8.first != UInt8(ascii: "+") else {
                throw PlexusError(.invalidField, "\"\(text)\" has a prefix length outside 0...\(bits)")
            }
            length = parsed
        }
        self.init(address, prefixLength: length)
    }

    public func contains(_ address: OutboundAddress) -> Bool {
        switch (network, address) {
        case (.v4(let net), .v4(let value)):
            return value & Self.mask32(prefixLength) == net
        case (.v6(let net), .v6(let value)):
            return value & Self.mask128(prefixLength) == net
        default:
            return false
        }
    }

    public var description: String { "\(network)/\(prefixLength)" }

    private static func mask32(_ length: Int) -> UInt32 {
        length == 0 ? 0 : UInt32.max << UInt32(32 - length)
    }

    private static func mask128(_ length: Int) -> UInt128 {
        length == 0 ? 0 : UInt128.max << UInt128(128 - length)
    }
}

extension OutboundAddressRange {
    /// Table shorthand for a literal the guard's authors wrote; a typo there is a bug, so it traps.
    static func block(_ text: String) -> OutboundAddressRange {
        do {
            return try OutboundAddressRange(parsing: text)
        } catch {
            preconditionFailure("bad built-in range \(text): \(error)")
        }
    }
}
