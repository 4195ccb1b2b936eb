/// A snapshot of a connection's health, for health reports and the edge's status page.
public struct RedisConnectionStatus: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// Not connected yet; the first attempt is under way or waiting for its backoff.
        case connecting
        case connected
        /// Was connected, lost it, and is trying again with backoff.
        case reconnecting
        /// ``RedisConnection/close()`` was called.
        case closed
        /// No hiredis in this build; nothing will ever connect.
        case unavailable
    }

    public var state: State
    /// Why the last connect failed or the connection was lost; kept after reconnecting.
    public var lastError: RedisError?
    /// How many times the connection came back after being lost.
    public var reconnectCount: Int
    /// Failed connect attempts since the last success.
    public var consecutiveFailures: Int

    public init(state: State, lastError: RedisError? = nil, reconnectCount: Int = 0, consecutiveFailures: Int = 0) {
        self.state = state
        self.lastError = lastError
        self.reconnectCount = reconnectCount
        self.consecutiveFailures = consecutiveFailures
    }

    public var isConnected: Bool { state == .connected }
}
