/// A Redis list or channel name for egress, where `{topic}` stands for the message's topic
/// (`plexus.{topic}` → `plexus.agents.alpha.events`).
public struct EgressTemplate: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    public init(_ text: String) throws(EdgeError) {
        guard !text.isEmpty else { throw EdgeError(.configuration, "a list or channel name must not be empty") }
        // A name goes into a Redis command as one argument (binary safe), but a newline or NUL
        // in a configured name is a typo, not an intent.
        if text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw EdgeError(.configuration, "the list or channel name \"\(text)\" contains a control character")
        }
        self.text = text
    }

    public func name(topic: String) -> String {
        text.contains("{topic}") ? text.replacingOccurrences(of: "{topic}", with: topic) : text
    }

    public var description: String { text }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
