/// One RESP2 reply, copied out of hiredis' memory so it outlives the C reply object.
///
/// Error replies are values here, not thrown: a pipeline of LREMs wants every answer, and the
/// typed helpers on ``RedisConnection`` turn `.error` into ``RedisError/Code/serverError(_:)``.
public enum RedisReply: Sendable, Hashable {
    /// `+OK`, `+PONG`.
    case status(String)
    /// `-ERR ...`, `-WRONGTYPE ...`.
    case error(String)
    case integer(Int64)
    /// A bulk string; binary-safe (NUL and CRLF survive).
    case bulk([UInt8])
    case array([RedisReply])
    /// The nil bulk string or nil array (`$-1`, `*-1`): a missing key, a blocking pop that timed out.
    case null

    /// The bytes of a bulk, status or error reply.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): return bytes
        case .status(let text), .error(let text): return Array(text.utf8)
        case .integer, .array, .null: return nil
        }
    }

    /// A bulk, status or error reply as text (invalid UTF-8 is repaired, so prefer ``bytes``
    /// for payloads).
    public var string: String? {
        switch self {
        case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let text), .error(let text): return text
        case .integer, .array, .null: return nil
        }
    }

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var array: [RedisReply]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// The server's message when this is an error reply.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}
