extension AddressGuard {
    /// Reads an absolute http(s) URL, strictly. Where browsers and libraries disagree about a URL
    /// (backslashes, whitespace, percent-encoded or non-ASCII hosts, several `@`), SSRF filters
    /// get bypassed, so those forms are refused instead of interpreted. What is accepted is then
    /// unambiguous, and the shell connects to the very host and port read here.
    /// Also returns the host as written, for messages (`2130706433` while the target has `127.0.0.1`).
    static func parse(_ url: String) throws(AddressGuardRefusal) -> (target: AddressGuardTarget, writtenHost: String) {
        let bytes = Array(url.utf8)
        guard !bytes.isEmpty else { throw AddressGuardRefusal(.invalidURL, "the URL is empty") }
        guard bytes.count <= 2048 else {
            throw AddressGuardRefusal(.invalidURL, "the URL is \(bytes.count) bytes long; the limit is 2048")
        }
        if let bad = bytes.first(where: { $0 <= 0x20 || $0 >= 0x7F || $0 == UInt8(ascii: "\\") }) {
            let what = bad == UInt8(ascii: "\\") ? "a backslash" : "whitespace, a control character or a non-ASCII character (percent-encode it, or use the punycode form of the host)"
            throw AddressGuardRefusal(.invalidURL, "the URL contains \(what)")
        }

        // Scheme.
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0,
              Self.isSchemeStart(bytes[0]), bytes[1..<colon].allSatisfy(Self.isSchemeByte)
        else {
            throw AddressGuardRefusal(.invalidURL, "\"\(url)\" is not an absolute URL (it needs a scheme, e.g. https://)")
        }
        let schemeText = String(decoding: bytes[0..<colon], as: UTF8.self).lowercased()
        guard let scheme = AddressGuardTarget.Scheme(rawValue: schemeText) else {
            throw AddressGuardRefusal(.unsupportedScheme, "the scheme \"\(schemeText):\" is not allowed; only http and https are")
        }
        let afterScheme = colon + 1
        guard bytes.count >= afterScheme + 2, bytes[afterScheme] == UInt8(ascii: "/"), bytes[afterScheme + 1] == UInt8(ascii: "/") else {
            throw AddressGuardRefusal(.invalidURL, "\"\(url)\" has no \"//\" after the scheme")
        }

        // Authority: up to the first '/', '?' or '#'.
        let authorityStart = afterScheme + 2
        let authorityEnd = bytes[authorityStart...].firstIndex(where: {
            $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
        }) ?? bytes.endIndex
        let authority = bytes[authorityStart..<authorityEnd]
        if authority.contains(UInt8(ascii: "@")) {
            throw AddressGuardRefusal(.userinfo, "the URL contains credentials (\"user@\" or \"user:password@\"); put no userinfo in a webhook URL")
        }
        guard !authority.isEmpty else { throw AddressGuardRefusal(.missingHost, "\"\(url)\" has no host") }

        let (written, literal, port) = try Self.parseAuthority(authority, scheme: scheme)
        // Lenient IPv4 spellings go out as the canonical dotted quad (Host header, logs).
        let host = literal?.description ?? written

        // Path and query; the fragment is local to the client and never sent.
        var rest = bytes[authorityEnd...]
        if let hash = rest.firstIndex(of: UInt8(ascii: "#")) { rest = rest[..<hash] }
        var requestTarget = String(decoding: rest, as: UTF8.self)
        if !requestTarget.hasPrefix("/") { requestTarget = "/" + requestTarget }
        return (AddressGuardTarget(scheme: scheme, host: host, literalAddress: literal, port: port, requestTarget: requestTarget), written)
    }

    private static func parseAuthority(
        _ authority: ArraySlice<UInt8>, scheme: AddressGuardTarget.Scheme
    ) throws(AddressGuardRefusal) -> (host: String, literal: OutboundAddress?, port: Int) {
        var hostBytes: ArraySlice<UInt8>
        var portBytes: ArraySlice<UInt8>?
        var literal: OutboundAddress?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else {
                throw AddressGuardRefusal(.invalidURL, "the IPv6 host has no closing \"]\"")
            }
            hostBytes = authority[(authority.startIndex + 1)..<close]
            let text = String(decoding: hostBytes, as: UTF8.self)
            guard let address = OutboundAddress(text), address.isIPv6 else {
                throw AddressGuardRefusal(.invalidURL, "[\(text)] is not an IPv6 address (zone identifiers are not accepted)")
            }
            literal = address
            let after = authority[(close + 1)...]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else {
                    throw AddressGuardRefusal(.invalidURL, "unexpected characters after the IPv6 host")
                }
                portBytes = after.dropFirst()
            }
        } else {
            if let colon = authority.lastIndex(of: UInt8(ascii: ":")) {
                hostBytes = authority[..<colon]
                portBytes = authority[(colon + 1)...]
            } else {
                hostBytes = authority
            }
        }

        var port = scheme.defaultPort
        if let portBytes, !portBytes.isEmpty {
            guard portBytes.count <= 5, portBytes.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let value = Int(String(decoding: portBytes, as: UTF8.self)), (1...65535).contains(value)
            else {
                throw AddressGuardRefusal(.invalidURL, "the port \"\(String(decoding: portBytes, as: UTF8.self))\" is not a number in 1...65535")
            }
            port = value
        }

        if let literal { return (String(decoding: hostBytes, as: UTF8.self), literal, port) }

        var host = String(decoding: hostBytes, as: UTF8.self).lowercased()
        guard !host.isEmpty else { throw AddressGuardRefusal(.missingHost, "the URL has no host") }
        let allowed = host.utf8.allSatisfy { byte in
            (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
        }
        guard allowed else {
            throw AddressGuardRefusal(.invalidURL, "the host \"\(host)\" contains characters a host name cannot have (percent-encoding and IPv6 without brackets are not accepted)")
        }
        switch OutboundAddress.readHost(host) {
        case .address(let address):
            return (host, address, port)
        case .invalid:
            throw AddressGuardRefusal(.invalidURL, "the host \"\(host)\" ends in a number but is not a valid IPv4 address")
        case .name:
            if host.hasSuffix(".") { host.removeLast() }
            guard !host.isEmpty, !host.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
                throw AddressGuardRefusal(.invalidURL, "the host \"\(host)\" has an empty label")
            }
            return (host, nil, port)
        }
    }

    private static func isSchemeStart(_ byte: UInt8) -> Bool {
        (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90)
    }

    private static func isSchemeByte(_ byte: UInt8) -> Bool {
        isSchemeStart(byte) || (byte >= 48 && byte <= 57)
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
}
