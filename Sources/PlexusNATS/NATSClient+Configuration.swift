import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

extension NATSClient {
    /// Everything a client needs, with defaults fit for a node's edge bridge. Validated once by
    /// `NATSClient.init` with an error naming the bad key.
    public struct Configuration: Sendable {
        /// Tried in order on the first connect, then round-robin on reconnects.
        public var servers: [NATSServerAddress]
        /// Shown by the server (`nats server report connections`, monitoring) for this client.
        public var name: String?
        public var user: String?
        public var password: String?
        public var token: String?
        /// TLS settings, used when a server URL is `tls://` or the server's INFO says
        /// `tls_required`. Nil means the platform's defaults (system trust roots, full
        /// verification); set it to trust a private CA or present a client certificate.
        public var tls: TLSConfiguration?
        /// Reconnect delays: 50 ms doubling to 5 s, jittered.
        public var reconnectBackoff = NATSBackoff()
        /// Keep trying when the very first connect reaches no server, instead of failing
        /// `connect()`. Off by default so a misconfigured URL is reported at start-up.
        public var retryOnFailedConnect = false
        /// Consecutive failed reconnects after which the client closes; nil retries forever.
        public var maxReconnectAttempts: Int?
        public var pingInterval: Duration = .seconds(20)
        /// Keepalive PINGs left unanswered before the connection is considered stale.
        public var maxOutstandingPings = 2
        /// Bytes of publishes kept while disconnected; beyond it `publish` throws `.bufferFull`.
        public var maxPendingBytes = 8 * 1024 * 1024
        /// Messages a subscription holds for a slow consumer; later ones are dropped and counted.
        public var subscriptionBufferCapacity = 8192
        /// TCP connect plus INFO/CONNECT/PONG handshake, per attempt.
        public var connectTimeout: Duration = .seconds(5)
        /// Whether the server delivers this client's own publishes to its own subscriptions.
        public var echo = false
        /// Request/reply inboxes are `<inboxPrefix>.<random>.<token>`.
        public var inboxPrefix = "_INBOX"
        public var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
        public var logger = Logger(label: "plexus.nats")

        public init(servers: [NATSServerAddress]) {
            self.servers = servers
        }

        /// `nats://[user:pass@]host[:port]` or `tls://…`, one URL per server.
        public init(urls: [URL]) throws(NATSClientError) {
            var servers: [NATSServerAddress] = []
            for url in urls { servers.append(try NATSServerAddress(url: url)) }
            self.init(servers: servers)
        }

        /// One or more comma-separated server URLs, as NATS tools accept them.
        public init(url: String) throws(NATSClientError) {
            var servers: [NATSServerAddress] = []
            for part in url.split(separator: ",") {
                servers.append(try NATSServerAddress(part.trimmingCharacters(in: .whitespaces)))
            }
            self.init(servers: servers)
        }

        public func validate() throws(NATSClientError) {
            func bad(_ key: String, _ why: String) -> NATSClientError {
                NATSClientError(.invalidConfiguration, "nats.\(key): \(why)")
            }
            guard !servers.isEmpty else { throw bad("servers", "at least one server URL is needed") }
            for server in servers where server.host.isEmpty || !(1...65535).contains(server.port) {
                throw bad("servers", "\(server) is not a host and port")
            }
            guard reconnectBackoff.minimum > .zero else { throw bad("reconnectBackoff.minimum", "must be positive") }
            guard pingInterval > .zero else { throw bad("pingInterval", "must be positive") }
            guard maxOutstandingPings >= 1 else { throw bad("maxOutstandingPings", "must be at least 1") }
            guard maxPendingBytes >= 0 else { throw bad("maxPendingBytes", "must not be negative") }
            guard subscriptionBufferCapacity >= 1 else { throw bad("subscriptionBufferCapacity", "must be at least 1") }
            guard connectTimeout > .zero else { throw bad("connectTimeout", "must be positive") }
            if let maxReconnectAttempts, maxReconnectAttempts < 0 { throw bad("maxReconnectAttempts", "must not be negative") }
            do {
                try NATSValidation.validatePublishSubject(inboxPrefix)
            } catch {
                throw bad("inboxPrefix", error.message)
            }
            if let name, name.utf8.contains(where: { $0 < 0x20 }) { throw bad("name", "contains a control character") }
        }

        var machineConfiguration: NATSConnectionStateMachine.Configuration {
            NATSConnectionStateMachine.Configuration(
                servers: servers, name: name, user: user, password: password, token: token, echo: echo,
                backoff: reconnectBackoff, pingInterval: pingInterval, maxOutstandingPings: maxOutstandingPings,
                maxPendingBytes: maxPendingBytes, retryOnFailedConnect: retryOnFailedConnect,
                maxReconnectAttempts: maxReconnectAttempts
            )
        }
    }

    /// Counters for health pages and the edge's "what did the core-NATS path drop" report.
    public struct Statistics: Sendable, Hashable {
        public var status: Status
        public var reconnects: Int
        public var messagesIn: Int
        public var messagesOut: Int
        /// Messages that arrived for a subscription whose consumer had a full buffer.
        public var droppedMessages: Int
        /// Publish bytes waiting for a connection (or for the next write).
        public var pendingBytes: Int
        public var lastError: String?
        public var serverInfo: NATSServerInfo?
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(NATSBackoff.nanoseconds(duration))
    }
}
