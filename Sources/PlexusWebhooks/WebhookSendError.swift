/// A failed send that is not an HTTP status: resolution, connection, TLS, timeout. The message
/// is what the delivery log shows; it never contains response bytes.
public struct WebhookSendError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Stage: String, Sendable, Hashable {
        /// The host name did not resolve.
        case resolve
        /// No connection was made: nothing was sent, so another address may be tried.
        case connect
        /// Connected, then failed (TLS, reset, malformed response): the receiver may have seen
        /// the request, so no other address is tried in the same attempt.
        case exchange
        /// The attempt's deadline passed.
        case timeout
    }

    public var stage: Stage
    public var message: String

    public init(_ stage: Stage, _ message: String) {
        self.stage = stage
        self.message = message
    }

    public var description: String { message }
}
