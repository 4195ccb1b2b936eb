/// An error that crosses a module boundary: a stable `code` a program can switch on, and a message
/// that tells a person what was wrong and where. The HTTP layer maps it to RFC 9457 problem JSON.
public struct PlexusError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The bytes are not valid JSON (syntax, UTF-8, duplicate keys, NUL, lone surrogates...).
        case invalidJSON = "invalid-json"
        /// JSON nested deeper than the configured limit.
        case tooDeep = "too-deep"
        /// A body, frame or batch larger than the configured limit.
        case tooLarge = "too-large"
        /// The message has no topic, or it is empty.
        case missingTopic = "missing-topic"
        /// The topic or topic pattern breaks the dotted-token syntax.
        case invalidTopic = "invalid-topic"
        /// A field of the envelope has the wrong type or an invalid value.
        case invalidField = "invalid-field"
        /// A query parameter, path parameter or cursor is malformed.
        case invalidQuery = "invalid-query"
        /// The thing asked for does not exist.
        case notFound = "not-found"
        /// The node cannot take this right now (shutting down, store unavailable); retry later.
        case unavailable = "unavailable"
        /// A bug or an unexpected failure inside the node.
        case internalError = "internal"
    }

    public var code: Code
    public var message: String
    /// A JSON pointer to the offending part of the input, when there is one (e.g. `/3/topic`).
    public var pointer: String?

    public init(_ code: Code, _ message: String, pointer: String? = nil) {
        self.code = code
        self.message = message
        self.pointer = pointer
    }

    public var description: String {
        if let pointer { return "\(code.rawValue) at \(pointer): \(message)" }
        return "\(code.rawValue): \(message)"
    }

    /// The same error, located under `prefix` (used when a batch names the failing element).
    public func located(under prefix: String) -> PlexusError {
        var copy = self
        copy.pointer = prefix + (pointer ?? "")
        return copy
    }
}
