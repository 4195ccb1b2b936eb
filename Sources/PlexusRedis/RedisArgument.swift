/// One argument of a Redis command: raw bytes, so keys and values are binary-safe.
///
/// String and integer literals work directly: `connection.command(["LPUSH", "jobs", 42])`.
public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: String) { self.bytes = Array(string.utf8) }
    public init(_ integer: Int) { self.bytes = Array(String(integer).utf8) }
    public init(stringLiteral value: String) { self.init(value) }
    public init(integerLiteral value: Int) { self.init(value) }
}
