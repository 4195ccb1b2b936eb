/// Why a document is not acceptable JSON, and where.
///
/// Rejections travel back to whoever sent the bytes (an HTTP 400, a closed peer connection), so the
/// `message` names the problem and its byte offset in words a person can act on, while `code` is
/// stable for programs and for mapping to an RFC 9457 problem `type`.
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem. Raw values are stable and may appear in API responses.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A byte sequence that is not well-formed UTF-8: a stray continuation byte, a truncated
        /// sequence, an overlong encoding, an encoded surrogate or a code point above U+10FFFF.
        case invalidUTF8
        /// A byte that cannot start or continue the value at that position.
        case unexpectedCharacter
        /// The input stopped in the middle of a value.
        case unexpectedEnd
        /// Something other than whitespace follows the complete top-level value.
        case trailingData
        /// Containers nest deeper than `JSONLimits.maxDepth`.
        case tooDeep
        /// An object names the same key twice; which one wins would be up to each reader.
        case duplicateKey
        /// A number that RFC 8259 does not allow: leading zeros, `+`, a bare `.`, NaN, Infinity, `1.`.
        case invalidNumber
        /// A well-formed number too large for a double (it would become infinity).
        case numberOutOfRange
        /// A backslash escape that JSON does not define, or `\u` without four hex digits.
        case invalidEscape
        /// A `\uD800`–`\uDFFF` escape that is not part of a high-then-low surrogate pair.
        case loneSurrogate
        /// U+0000 in a string: PostgreSQL text cannot store it, so Plexus refuses it at the door.
        case nulCharacter
        /// A raw control character (below U+0020) inside a string; JSON requires it escaped.
        case controlCharacter
        /// A string longer than `JSONLimits.maxStringBytes`.
        case stringTooLong
        /// No value at all: empty input or only whitespace.
        case empty
    }

    /// The kind of problem.
    public var code: Code
    /// Zero-based byte offset into the input where the problem starts.
    public var offset: Int
    /// A sentence naming what is wrong and where, e.g. `duplicate key "a" at byte 17`.
    public var message: String

    public init(code: Code, offset: Int, message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String {
        "invalid JSON (\(code.rawValue)): \(message)"
    }
}
