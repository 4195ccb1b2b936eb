extension OutboundAddress {
    /// What a URL host turned out to be when read the way browsers and libc's `inet_aton` read it.
    public enum HostNumber: Sendable, Hashable {
        /// A name to resolve (`hooks.example.com`).
        case name
        /// An IPv4 address in any spelling: `127.0.0.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`.
        case address(OutboundAddress)
        /// Ends in a number but is no valid address (`256.0.0.1`, `1.2.3.4.5`, `a.0x10`). Browsers
        /// refuse such a host, and a name resolver might read it some other way: refuse it too.
        case invalid
    }

    /// Reads a URL host (without brackets) as the WHATWG URL standard's IPv4 parser does, which
    /// accepts the same forms as `inet_aton`: one to four dot-separated parts, each decimal,
    /// `0x` hexadecimal or `0`-prefixed octal, the last part filling the remaining bytes.
    ///
    /// This is why `http://2130706433/` and `http://0x7f.1/` reach loopback in a browser and in
    /// `curl`: the guard must see them as the addresses they are, not as names.
    public static func readHost(_ host: String) -> HostNumber {
        var parts = host.split(separator: ".", omittingEmptySubsequences: false)
        // One trailing dot is allowed ("127.0.0.1." is 127.0.0.1), as in the standard.
        if parts.count > 1, parts.last?.isEmpty == true { parts.removeLast() }
        guard let last = parts.last, endsInNumber(last) else { return .name }
        guard parts.count <= 4 else { return .invalid }
        var numbers: [UInt64] = []
        for part in parts {
            guard let number = ipv4Number(part) else { return .invalid }
            numbers.append(number)
        }
        for number in numbers.dropLast() where number > 255 { return .invalid }
        let lastLimit = UInt64(1) << (8 * UInt64(5 - numbers.count))
        guard numbers[numbers.count - 1] < lastLimit else { return .invalid }
        var value = numbers[numbers.count - 1]
        for (index, number) in numbers.dropLast().enumerated() {
            value += number << (8 * UInt64(3 - index))
        }
        return .address(.v4(UInt32(value)))
    }

    /// The standard's "ends in a number": the last label is all digits, or parses as an IPv4 number.
    private static func endsInNumber(_ label: Substring) -> Bool {
        if !label.isEmpty, label.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) { return true }
        return ipv4Number(label) != nil
    }

    /// One part of a lenient IPv4 address; nil when it is not a number in any of the three radixes.
    private static func ipv4Number(_ part: Substring) -> UInt64? {
        var digits = part.utf8[...]
        guard !digits.isEmpty else { return nil }
        var radix: UInt64 = 10
        if digits.count >= 2, digits.first == UInt8(ascii: "0"),
           let x = digits.dropFirst().first, x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
            digits = digits.dropFirst(2)
            radix = 16
        } else if digits.count >= 2, digits.first == UInt8(ascii: "0") {
            digits = digits.dropFirst()
            radix = 8
        }
        // "0x" alone is zero in the standard.
        var value: UInt64 = 0
        for byte in digits {
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt64(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            guard digit < radix else { return nil }
            // Anything past 32 bits is invalid anyway: saturate there so the arithmetic cannot
            // overflow, and keep reading so that a stray letter still makes this a non-number.
            value = min(value * radix + digit, UInt64(UInt32.max) + 1)
        }
        return value
    }

    /// Parses the canonical forms only: a dotted quad of four decimal parts without leading zeros,
    /// or an IPv6 address (an embedded dotted quad allowed at the end; no zone). Used for
    /// allowlist entries and for bracketed URL hosts, where lenient forms have no business.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        if text.contains(":") {
            guard let value = Self.parseIPv6(text) else { return nil }
            self = .v6(value)
        } else {
            guard let value = Self.parseDottedQuad(text[...]) else { return nil }
            self = .v4(value)
        }
    }

    static func parseDottedQuad(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  part.utf8.count == 1 || part.utf8.first != UInt8(ascii: "0"),
                  let byte = UInt32(part), byte <= 255
            else { return nil }
            value = value << 8 | byte
        }
        return value
    }

    static func parseIPv6(_ text: String) -> UInt128? {
        // Split around "::" (at most one), then read the groups on each side.
        let halves = text.split(separator: "::", maxSplits: 2, omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        func groups(_ side: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
            if side.isEmpty { return [] }
            let pieces = side.split(separator: ":", omittingEmptySubsequences: false)
            var out: [UInt16] = []
            for (index, piece) in pieces.enumerated() {
                if piece.contains("."), allowIPv4Tail, index == pieces.count - 1 {
                    guard let v4 = parseDottedQuad(piece) else { return nil }
                    out.append(UInt16(v4 >> 16))
                    out.append(UInt16(v4 & 0xFFFF))
                    continue
                }
                guard (1...4).contains(piece.utf8.count), let group = UInt16(piece, radix: 16),
                      piece.utf8.allSatisfy({ $0.isASCIIHexDigit })
                else { return nil }
                out.append(group)
            }
            return out
        }
        var all: [UInt16]
        if halves.count == 1 {
            guard let only = groups(halves[0], allowIPv4Tail: true), only.count == 8 else { return nil }
            all = only
        } else {
            guard let head = groups(halves[0], allowIPv4Tail: false),
                  let tail = groups(halves[1], allowIPv4Tail: true),
                  head.count + tail.count <= 7
            else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        return all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }
}

extension UInt8 {
    fileprivate var isASCIIHexDigit: Bool {
        (48...57).contains(self) || (65...70).contains(self) || (97...102).contains(self)
    }
}
