/// Where and how to reach one Redis server. Validated once, before the first connect.
public struct RedisConfiguration: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// ACL user for `AUTH user password` (Redis 6+); nil sends the one-argument `AUTH password`.
    public var username: String?
    /// Sent with AUTH on every (re)connect; never logged.
    public var password: String?
    /// Selected with SELECT on every (re)connect when not 0.
    public var database: Int
    /// Bounds the TCP connect and the AUTH/SELECT that follow it.
    public var connectTimeout: Duration
    /// Bounds each command's round trip (blocking commands add their own block time).
    /// A command that times out drops the connection, since its reply may still arrive.
    public var commandTimeout: Duration
    public var reconnectBackoffMinimum: Duration
    public var reconnectBackoffMaximum: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(3),
        commandTimeout: Duration = .seconds(5),
        reconnectBackoffMinimum: Duration = .milliseconds(50),
        reconnectBackoffMaximum: Duration = .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectBackoffMinimum = reconnectBackoffMinimum
        self.reconnectBackoffMaximum = reconnectBackoffMaximum
    }

    /// `host:port`, with IPv6 literals bracketed, for messages and logs.
    public var endpoint: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Throws ``RedisError`` with code `.invalidURL` naming the first bad setting.
    public func validate() throws(RedisError) {
        func bad(_ detail: String) -> RedisError { RedisError(.invalidURL, endpoint: "", detail: detail) }
        if host.isEmpty { throw bad("redis host is empty") }
        if !(1...65_535).contains(port) { throw bad("redis port \(port) is not in 1...65535") }
        if database < 0 { throw bad("redis database \(database) is negative") }
        if username != nil && password == nil {
            throw bad("redis username '\(username ?? "")' is set without a password")
        }
        if connectTimeout <= .zero { throw bad("redis connectTimeout must be positive") }
        if commandTimeout <= .zero { throw bad("redis commandTimeout must be positive") }
        if reconnectBackoffMinimum <= .zero {
            throw bad("redis reconnectBackoffMinimum must be positive")
        }
        if reconnectBackoffMaximum < reconnectBackoffMinimum {
            throw bad("redis reconnectBackoffMaximum is below reconnectBackoffMinimum")
        }
    }

    /// The password is redacted so a configuration can be logged.
    public var description: String {
        let user = username.map { "\($0):" } ?? ""
        let auth = password == nil ? "" : "\(user)***@"
        return "redis://\(auth)\(endpoint)/\(database)"
    }
}
