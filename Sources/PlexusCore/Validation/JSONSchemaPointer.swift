/// RFC 6901 JSON pointers, as violations report them and as `$ref` fragments spell them.
enum JSONSchemaPointer {
    /// One step of a pointer: a member name or an array index.
    enum Component: Sendable {
        case key(String)
        case index(Int)
    }

    /// Escapes one reference token: `~` becomes `~0` and `/` becomes `~1`.
    static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else {
            return token
        }
        var escaped = ""
        for character in token.unicodeScalars {
            switch character {
            case "~": escaped += "~0"
            case "/": escaped += "~1"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// `base` extended by one member name.
    static func appending(_ base: String, _ key: String) -> String {
        base + "/" + escape(key)
    }

    /// `base` extended by one array index.
    static func appending(_ base: String, _ index: Int) -> String {
        base + "/" + String(index)
    }

    /// The pointer for a path of components (the validator keeps a path, not a string, and renders
    /// it only when something fails).
    static func render(_ path: [Component]) -> String {
        var pointer = ""
        for component in path {
            switch component {
            case .key(let key): pointer = appending(pointer, key)
            case .index(let index): pointer = appending(pointer, index)
            }
        }
        return pointer
    }

    /// The decoded reference tokens of a JSON pointer (`/$defs/a~1b` gives `["$defs", "a/b"]`); nil
    /// when it does not start with `/` (and is not empty) or has a `~` not followed by 0 or 1.
    static func tokens(of pointer: String) -> [String]? {
        guard pointer.hasPrefix("/") else { return pointer.isEmpty ? [] : nil }
        var tokens: [String] = []
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var scalars = raw.unicodeScalars.makeIterator()
            while let scalar = scalars.next() {
                guard scalar == "~" else {
                    token.unicodeScalars.append(scalar)
                    continue
                }
                switch scalars.next() {
                case "0": token += "~"
                case "1": token += "/"
                default: return nil
                }
            }
            tokens.append(token)
        }
        return tokens
    }

    /// Decodes `%XX` escapes (as UTF-8 bytes); nil for a malformed escape or bytes that are not UTF-8.
    static func percentDecoded(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var bytes: [UInt8] = []
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = utf8.next().flatMap(Hex.value), let low = utf8.next().flatMap(Hex.value) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
