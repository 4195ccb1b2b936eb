import PlexusCore

/// An agent's ack frame on a subject session: `{"ack": "<message_uuid>"}` or
/// `{"ack": ["<message_uuid>", ...]}`.
///
/// Read with a scanner of its own, not the JSON parser: an agent keeping up with thousands of
/// messages a second acks them in frames of thousands of ids, and building a tree of that many
/// strings to read 16 bytes from each was 6 % of a relay's CPU (docs/benchmarks.md). The scanner
/// takes exactly this shape with any JSON whitespace; anything else — another key, an escape
/// in an id, a malformed frame — returns nil, and the caller parses the frame properly to say
/// what is wrong with it.
enum SessionAckFrame {
    static func ids(in bytes: some Collection<UInt8>) -> [MessageID]? {
        var scanner = Scanner(Array(bytes))
        return scanner.frame()
    }

    private struct Scanner {
        let bytes: [UInt8]
        var at = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func frame() -> [MessageID]? {
            guard take(UInt8(ascii: "{")), take(Array("\"ack\"".utf8)), take(UInt8(ascii: ":")) else { return nil }
            var ids: [MessageID] = []
            if take(UInt8(ascii: "[")) {
                if !take(UInt8(ascii: "]")) {
                    repeat {
                        guard let id = messageID() else { return nil }
                        ids.append(id)
                    } while take(UInt8(ascii: ","))
                    guard take(UInt8(ascii: "]")) else { return nil }
                }
            } else {
                guard let id = messageID() else { return nil }
                ids.append(id)
            }
            guard take(UInt8(ascii: "}")) else { return nil }
            skipWhitespace()
            return at == bytes.count ? ids : nil
        }

        /// A 36-character string without escapes that parses as an id.
        private mutating func messageID() -> MessageID? {
            skipWhitespace()
            let end = at + 38
            guard end <= bytes.count, bytes[at] == UInt8(ascii: "\""), bytes[end - 1] == UInt8(ascii: "\"") else { return nil }
            guard let id = bytes.withUnsafeBytes({ MessageID(utf8: UnsafeRawBufferPointer(rebasing: $0[(at + 1)..<(end - 1)])) }) else { return nil }
            at = end
            return id
        }

        private mutating func take(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard at < bytes.count, bytes[at] == byte else { return false }
            at += 1
            return true
        }

        private mutating func take(_ literal: [UInt8]) -> Bool {
            skipWhitespace()
            guard at + literal.count <= bytes.count, bytes[at..<(at + literal.count)].elementsEqual(literal) else { return false }
            at += literal.count
            return true
        }

        private mutating func skipWhitespace() {
            while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
        }
    }
}
