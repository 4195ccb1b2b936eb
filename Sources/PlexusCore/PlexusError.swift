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
        /// The request contradicts the thing's state: a session already answered, a callback
        /// already used, an id already taken by something different.
        case conflict
        /// The message does not satisfy its topic's template (`message_data` fails a rule).
        case invalidData = "invalid-data"
        /// An ACL or a policy denies the message.
        case forbidden = "forbidden"
        /// A rate limit is exhausted for the message's key; `retryAfterSeconds` says when to retry.
        case rateLimited = "rate-limited"
        /// The node cannot take this right now (shutting down, store unavailable); retry later.
        case unavailable = "unavailable"
        /// A bug or an unexpected failure inside the node.
        case internalError = "internal"
    }

    public var code: Code
    public var message: String
    /// A JSON pointer to the offending part of the input, when there is one (e.g. `/3/topic`).
    public var pointer: String?
    /// When to try again, for `rateLimited` (HTTP's Retry-After, also in WebSocket error frames).
    public var retryAfterSeconds: Int?

    public init(_ code: Code, _ message: String, pointer: String? = nil, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.pointer = pointer
        self.retryAfterSeconds = retryAfterSeconds
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
