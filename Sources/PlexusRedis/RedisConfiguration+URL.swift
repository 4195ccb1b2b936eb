extension RedisConfiguration {
    /// Parses `redis://[[user]:password@]host[:port][/database]`.
    ///
    /// The password alone is written `redis://:secret@host`. User and password may be
    /// percent-encoded. Timeouts and backoff keep their defaults. Errors have code `.invalidURL`
    /// and name the part that is wrong, never echoing the password.
    public init(url: String) throws(RedisError) {
        func bad(_ detail: String) -> RedisError {
            RedisError(.invalidURL, endpoint: "", detail: "invalid Redis URL: \(detail)")
        }
        guard let schemeEnd = url.range(of: "://") else {
            throw bad("'\(url)' has no scheme; expected redis://host:port/db")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        if scheme == "rediss" { throw bad("TLS (rediss://) is not supported; use redis://") }
        guard scheme == "redis" else { throw bad("scheme '\(scheme)' is not redis") }

        var rest = Substring(url[schemeEnd.upperBound...])
        if rest.contains("?") || rest.contains("#") {
            throw bad("query parameters and fragments are not supported")
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }

        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            guard let colon = userinfo.firstIndex(of: ":") else {
                throw bad("credentials need a ':'; write redis://:password@host or redis://user:password@host")
            }
            let user = userinfo[..<colon]
            guard let decodedUser = Self.percentDecoded(user) else {
                throw bad("username has invalid percent-encoding")
            }
            guard let decodedPassword = Self.percentDecoded(userinfo[userinfo.index(after: colon)...]) else {
                throw bad("password has invalid percent-encoding")
            }
            if decodedPassword.isEmpty { throw bad("password after ':' is empty") }
            username = decodedUser.isEmpty ? nil : decodedUser
            password = decodedPassword
        }

        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad("IPv6 host '\(rest)' has no ']'") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad("unexpected '\(after)' after the IPv6 host") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.firstIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        if host.isEmpty { throw bad("host is missing") }

        var port = 6379
        if let portText {
            guard Self.isDigits(portText), let value = Int(portText), (1...65_535).contains(value) else {
                throw bad("port '\(portText)' is not a number in 1...65535")
            }
            port = value
        }

        var database = 0
        if !path.isEmpty {
            guard Self.isDigits(path), let value = Int(path) else {
                throw bad("database '/\(path)' is not a non-negative number")
            }
            database = value
        }

        self.init(host: String(host), port: port, username: username, password: password, database: database)
        try validate()
    }

    /// RFC 3986 percent-decoding without Foundation; nil on a malformed escape or bad UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue),
                  let low = iterator.next().flatMap(Self.hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func isDigits(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
