/// A failure of the NATS client that its caller (the node's NATS edge) must act on. The `code`
/// is stable for mapping and counting; the message names the bad value or the server's reason.
public struct NATSClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// A subject, reply subject or wildcard subscription that would corrupt or widen the wire.
        case invalidSubject = "invalid-subject"
        case invalidQueueGroup = "invalid-queue-group"
        case invalidHeader = "invalid-header"
        case invalidConfiguration = "invalid-configuration"
        /// The message is larger than the server's `max_payload`.
        case payloadTooLarge = "payload-too-large"
        /// The client is reconnecting and its bounded publish buffer is full.
        case bufferFull = "buffer-full"
        /// The client was closed (by `close()` or after its initial connect failed).
        case closed
        /// No server could be reached (initial connect).
        case connectionFailed = "connection-failed"
        /// The connection broke while the operation was in flight.
        case connectionLost = "connection-lost"
        case authorizationFailed = "authorization-failed"
        case tlsFailed = "tls-failed"
        /// The server sent `-ERR`.
        case serverError = "server-error"
        case protocolError = "protocol-error"
        case timeout
        /// A request found no subscriber on its subject (HMSG status 503).
        case noResponders = "no-responders"
        /// JetStream answered with an API error, or with something that is not an answer.
        case jetStream = "jetstream"
        case cancelled
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "NATS \(code.rawValue): \(message)" }
}
