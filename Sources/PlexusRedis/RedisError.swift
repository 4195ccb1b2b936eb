/// Why a Redis operation failed, with the endpoint and enough detail for an operator to act.
///
/// `code` is what callers branch on: `.connectionLost` and `.timeout` are worth retrying once the
/// connection is back (see ``RedisConnection/status``), `.authFailed` and `.hiredisMissing` need a
/// person, `.serverError` is Redis refusing this command.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// This binary was built without libhiredis-dev; Redis cannot be used at all.
        case hiredisMissing
        /// The TCP connection could not be established (refused, unreachable, name not resolved).
        case connectFailed
        /// The connection broke, or is down and being re-established; the command may not have run.
        case connectionLost
        /// AUTH was rejected, or the server wants a password and none was configured.
        case authFailed
        /// Redis answered with an error reply (`-ERR ...`, `-WRONGTYPE ...`).
        case serverError(String)
        /// The reply could not be understood; the connection is dropped.
        case protocolError
        /// No reply within the command timeout; the connection is dropped.
        case timeout
        /// A `redis://` URL or configuration value is unusable.
        case invalidURL
    }

    public var code: Code
    /// `host:port` of the server, or empty when the error is not about one (e.g. a bad URL).
    public var endpoint: String
    /// What went wrong, without the endpoint.
    public var detail: String
    /// The whole human sentence, naming the endpoint.
    public var message: String

    public init(_ code: Code, endpoint: String, detail: String) {
        self.code = code
        self.endpoint = endpoint
        self.detail = detail
        self.message = endpoint.isEmpty ? detail : "Redis at \(endpoint): \(detail)"
    }

    /// The build-time absence of hiredis is not about any server, so the message stands alone.
    public static func hiredisMissing(endpoint: String = "") -> RedisError {
        var error = RedisError(.hiredisMissing, endpoint: endpoint, detail: Self.hiredisMissingMessage)
        error.message = Self.hiredisMissingMessage
        return error
    }

    public static let hiredisMissingMessage =
        "this build of plexus has no Redis support: install libhiredis-dev (apt-get install libhiredis-dev) and rebuild"

    /// Whether the same command may succeed once the connection is back.
    public var isRetryable: Bool {
        switch code {
        case .connectionLost, .timeout, .connectFailed: return true
        case .hiredisMissing, .authFailed, .serverError, .protocolError, .invalidURL: return false
        }
    }

    public var description: String { message }
}
