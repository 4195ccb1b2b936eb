/// A concrete message topic: dotted tokens like a NATS subject (`agents.alpha.events`).
///
/// A message's own topic never contains the wildcards `*` or `>` — those belong to subscriptions
/// and queries (`TopicPattern`). The same rules guard what is later written to NATS as a subject,
/// so a topic that passes here can never inject protocol bytes (RELIABILITY B4).
public struct Topic: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: String

    /// Longest topic accepted, in UTF-8 bytes. NATS itself has no fixed cap, but index keys and
    /// wire frames should stay small; 256 is generous for dotted names.
    public static let maxLength = 256

    public init(_ value: String) throws(PlexusError) {
        try Self.validateTokens(value, allowWildcards: false, what: "topic")
        self.value = value
    }

    public var description: String { value }

    public static func < (lhs: Topic, rhs: Topic) -> Bool { lhs.value < rhs.value }

    /// Checks the dotted-token syntax shared by topics and patterns, naming the first problem found.
    static func validateTokens(_ value: String, allowWildcards: Bool, what: String) throws(PlexusError) {
        let bytes = value.utf8
        if bytes.isEmpty {
            throw PlexusError(.invalidTopic, "\(what) is empty")
        }
        if bytes.count > maxLength {
            throw PlexusError(.invalidTopic, "\(what) is \(bytes.count) bytes long; the limit is \(maxLength)")
        }
        var tokenStart = true
        var afterFullWildcard = false
        var tokenLength = 0
        var tokenIsWildcard = false
        for byte in bytes {
            if afterFullWildcard {
                throw PlexusError(.invalidTopic, "\(what) \"\(value)\": '>' must be the last token")
            }
            switch byte {
            case UInt8(ascii: "."):
                if tokenStart {
                    throw PlexusError(.invalidTopic, "\(what) \"\(value)\" has an empty token (leading, trailing or double '.')")
                }
                tokenStart = true
                tokenLength = 0
                tokenIsWildcard = false
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                throw PlexusError(.invalidTopic, "\(what) \"\(value.debugDescription.dropFirst().dropLast())\" contains whitespace")
            case 0..<0x20, 0x7F:
                throw PlexusError(.invalidTopic, "\(what) contains a control character (CR, LF, NUL or similar)")
            case UInt8(ascii: "*"), UInt8(ascii: ">"):
                guard allowWildcards else {
                    throw PlexusError(.invalidTopic, "\(what) \"\(value)\" contains the wildcard '\(Character(UnicodeScalar(byte)))'; wildcards are only allowed in subscriptions and queries")
                }
                if !tokenStart || tokenLength > 0 {
                    throw PlexusError(.invalidTopic, "\(what) \"\(value)\": a wildcard must be a whole token")
                }
                tokenIsWildcard = true
                if byte == UInt8(ascii: ">") { afterFullWildcard = true }
            default:
                if tokenIsWildcard {
                    throw PlexusError(.invalidTopic, "\(what) \"\(value)\": a wildcard must be a whole token")
                }
            }
            tokenStart = false
            tokenLength += 1
        }
        if tokenStart {
            throw PlexusError(.invalidTopic, "\(what) \"\(value)\" has an empty token (leading, trailing or double '.')")
        }
    }
}
