/// A subscription or query pattern over topics, with NATS wildcard semantics:
/// `*` matches exactly one token, `>` (last token only) matches one or more remaining tokens.
public struct TopicPattern: Sendable, Hashable, CustomStringConvertible {
    public let value: String
    private let tokens: [Token]

    enum Token: Sendable, Hashable {
        case literal(Substring)
        case one
        case rest
    }

    public init(_ value: String) throws(PlexusError) {
        try Topic.validateTokens(value, allowWildcards: true, what: "topic pattern")
        self.value = value
        self.tokens = value.split(separator: ".", omittingEmptySubsequences: false).map { token in
            switch token {
            case "*": return .one
            case ">": return .rest
            default: return .literal(token)
            }
        }
    }

    public var description: String { value }

    /// True when the pattern has no wildcard, so it names exactly one topic.
    public var isLiteral: Bool {
        tokens.allSatisfy { if case .literal = $0 { true } else { false } }
    }

    /// The literal tokens before the first wildcard, joined with '.', for index range scans.
    public var literalPrefix: String {
        var parts: [Substring] = []
        for token in tokens {
            guard case .literal(let text) = token else { break }
            parts.append(text)
        }
        return parts.joined(separator: ".")
    }

    public func matches(_ topic: Topic) -> Bool {
        matches(topic.value)
    }

    /// Matches a topic string token by token without allocating.
    public func matches(_ topic: String) -> Bool {
        var remaining = topic[...]
        for (index, token) in tokens.enumerated() {
            if remaining.isEmpty && index > 0 { return false }
            switch token {
            case .rest:
                return !remaining.isEmpty
            case .one, .literal:
                let end = remaining.firstIndex(of: ".") ?? remaining.endIndex
                let piece = remaining[remaining.startIndex..<end]
                if case .literal(let text) = token, piece != text { return false }
                if piece.isEmpty { return false }
                if end == remaining.endIndex {
                    remaining = remaining[end...]
                    // Consumed everything: only a match if this was the last token.
                    return index == tokens.count - 1
                }
                remaining = remaining[remaining.index(after: end)...]
            }
        }
        return false
    }
}
