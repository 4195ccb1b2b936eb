import NIOCore

extension NATSConnectionStateMachine {
    /// What the machine needs to know to decide; the shell's `NATSClient.Configuration` is the
    /// user-facing form and produces this.
    public struct Configuration: Sendable, Hashable {
        public var servers: [NATSServerAddress]
        public var name: String?
        public var user: String?
        public var password: String?
        public var token: String?
        public var echo: Bool
        public var backoff: NATSBackoff
        public var pingInterval: Duration
        /// Keepalive PINGs allowed in flight; the next ping tick with this many unanswered
        /// declares the connection stale.
        public var maxOutstandingPings: Int
        /// Bound on bytes buffered while not connected.
        public var maxPendingBytes: Int
        /// Whether a first `connect()` that reaches no server keeps trying (like a reconnect)
        /// instead of failing.
        public var retryOnFailedConnect: Bool
        /// Consecutive failed attempts after which the client gives up and closes; nil: never.
        public var maxReconnectAttempts: Int?

        public init(
            servers: [NATSServerAddress], name: String? = nil, user: String? = nil, password: String? = nil,
            token: String? = nil, echo: Bool = false, backoff: NATSBackoff = NATSBackoff(),
            pingInterval: Duration = .seconds(20), maxOutstandingPings: Int = 2, maxPendingBytes: Int = 8 * 1024 * 1024,
            retryOnFailedConnect: Bool = false, maxReconnectAttempts: Int? = nil
        ) {
            self.servers = servers
            self.name = name
            self.user = user
            self.password = password
            self.token = token
            self.echo = echo
            self.backoff = backoff
            self.pingInterval = pingInterval
            self.maxOutstandingPings = maxOutstandingPings
            self.maxPendingBytes = maxPendingBytes
            self.retryOnFailedConnect = retryOnFailedConnect
            self.maxReconnectAttempts = maxReconnectAttempts
        }
    }

    /// A subscription as the server must know it; replayed on every new connection.
    public struct Subscription: Sendable, Hashable {
        public var sid: Int
        public var subject: String
        public var queueGroup: String?

        public init(sid: Int, subject: String, queueGroup: String? = nil) {
            self.sid = sid
            self.subject = subject
            self.queueGroup = queueGroup
        }
    }

    /// What the shell must do. Connections are named by an id the machine hands out in
    /// `openConnection`, so events from a connection it already gave up on are ignored.
    public enum Action: Sendable, Hashable {
        /// Dial `server`; report `channelActive`/`connectionLost` with `id`.
        case openConnection(id: UInt64, server: NATSServerAddress)
        /// Put TLS in front of the connection before anything else is written.
        case startTLS(serverName: String)
        /// Write this command on the current connection now (handshake, SUB, UNSUB).
        case send(NATSClientCommand)
        /// Write a SUB for each, in this order (after CONNECT on a new connection).
        case resubscribe([Subscription])
        /// Buffered bytes wait: soon, call `takeOutbound()` and write what it returns.
        case scheduleDrain
        case schedulePing(connection: UInt64, after: Duration)
        case scheduleReconnect(after: Duration)
        case closeConnection(id: UInt64)
        case statusChanged(NATSConnectionStatus)
        /// The handshake completed (PONG after CONNECT): release `connect()` waiters.
        case connected(isReconnect: Bool)
        /// The first connect failed for good: fail `connect()` waiters with this.
        case connectFailed(NATSClientError)
        case flushSucceeded([UInt64])
        case flushFailed([UInt64], NATSClientError)
        /// The server sent -ERR that did not end the connection attempt (for logs and counters).
        case serverError(String)
    }

    enum State: Sendable, Hashable {
        case idle
        case connecting(Link)
        case awaitingInfo(Link)
        /// CONNECT and PING sent; the PONG proves the server accepted CONNECT.
        case handshaking(Link)
        case connected(Link)
        case waitingToReconnect(server: Int)
        case closed
    }

    struct Link: Sendable, Hashable {
        var id: UInt64
        var server: Int
    }

    /// Why a PING is in flight; PONGs come back in PING order.
    enum Ping: Sendable, Hashable {
        case handshake
        case keepAlive
        case flush(UInt64)
    }
}
