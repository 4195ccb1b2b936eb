import Logging

extension PlexusClient {
    /// Limits and timings; the defaults suit a node on the same network.
    public struct Configuration: Sendable {
        /// How long one HTTP request may take before it fails with `transport`.
        public var requestTimeout: Duration
        /// The largest HTTP body read (a page of 1,000 messages can be several MB).
        public var maxResponseBytes: Int
        /// The largest WebSocket message read; the node sends one message or session per frame.
        public var maxFrameBytes: Int
        /// How often a WebSocket is pinged, so a connection that died silently during a long wait
        /// for a person is noticed (and reopened) instead of waiting for the timeout; nil disables.
        public var pingInterval: Duration?
        /// How long to wait for the node's close frame after this client closes a WebSocket.
        public var closeTimeout: Duration
        /// How session watches reconnect after a drop.
        public var reconnect: ReconnectPolicy
        /// Where the WebSocket layer logs (connection details at debug level, never bodies).
        public var logger: Logger

        public init(
            requestTimeout: Duration = .seconds(30),
            maxResponseBytes: Int = 32 << 20,
            maxFrameBytes: Int = 16 << 20,
            pingInterval: Duration? = .seconds(30),
            closeTimeout: Duration = .seconds(5),
            reconnect: ReconnectPolicy = .init(),
            logger: Logger = Logger(label: "plexus.client")
        ) {
            self.requestTimeout = requestTimeout
            self.maxResponseBytes = maxResponseBytes
            self.maxFrameBytes = maxFrameBytes
            self.pingInterval = pingInterval
            self.closeTimeout = closeTimeout
            self.reconnect = reconnect
            self.logger = logger
        }
    }
}
