import NIOSSL
import PlexusCore

extension WebhookDispatcher {
    /// How the dispatcher stores, sends and retries. Defaults suit production; tests shorten the
    /// retry schedule and allowlist loopback for their local receiver.
    public struct Configuration: Sendable {
        /// The SQLite file of queued deliveries and the delivery log (created if missing).
        public var databasePath: String
        public var retry: WebhookRetrySchedule
        /// Attempts in flight at once, across all endpoints.
        public var maxConcurrentDeliveries: Int
        /// For the whole attempt: connect, TLS handshake, request and response head.
        public var requestTimeout: Duration
        /// Checked when endpoints are set and again at every send, after resolving the host.
        public var addressGuard: AddressGuard
        /// The longest the run loop sleeps without a reason to wake; it is woken early by
        /// publishes and finished attempts, so this only bounds how late a clock jump is noticed.
        public var idleWait: Duration
        public var userAgent: String
        /// CA certificates trusted for https receivers besides the system's.
        public var extraTrustRoots: [NIOSSLCertificate]

        public init(
            databasePath: String,
            retry: WebhookRetrySchedule = WebhookRetrySchedule(),
            maxConcurrentDeliveries: Int = 8,
            requestTimeout: Duration = .seconds(10),
            addressGuard: AddressGuard = AddressGuard(),
            idleWait: Duration = .seconds(30),
            userAgent: String = "Plexus-Webhooks/1",
            extraTrustRoots: [NIOSSLCertificate] = []
        ) {
            self.databasePath = databasePath
            self.retry = retry
            self.maxConcurrentDeliveries = maxConcurrentDeliveries
            self.requestTimeout = requestTimeout
            self.addressGuard = addressGuard
            self.idleWait = idleWait
            self.userAgent = userAgent
            self.extraTrustRoots = extraTrustRoots
        }

        /// Checked once at open, naming the bad key.
        public func validate() throws(PlexusError) {
            guard !databasePath.isEmpty else { throw PlexusError(.invalidField, "webhooks.database_path is empty") }
            try retry.validate(key: "webhooks.retry")
            guard (1...256).contains(maxConcurrentDeliveries) else {
                throw PlexusError(.invalidField, "webhooks.max_concurrent_deliveries must be in 1...256")
            }
            guard requestTimeout > .zero else { throw PlexusError(.invalidField, "webhooks.request_timeout must be positive") }
            guard idleWait > .zero else { throw PlexusError(.invalidField, "webhooks.idle_wait must be positive") }
            guard userAgent.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                throw PlexusError(.invalidField, "webhooks.user_agent must be printable ASCII")
            }
        }
    }
}
