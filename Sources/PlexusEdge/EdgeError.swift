/// A failure of an edge bridge, with what a person needs to act on it.
public struct EdgeError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The configuration cannot work (names the key).
        case configuration
        /// This build lacks what the edge needs (hiredis).
        case unsupported
        /// A local file (cursor, key) could not be read or written.
        case io
        /// The edge's server refused or failed an operation.
        case server
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
