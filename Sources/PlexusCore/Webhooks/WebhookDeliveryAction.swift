/// What the shell must do after feeding an event to a `WebhookDeliveryState`.
public enum WebhookDeliveryAction: Sendable, Hashable {
    /// Send attempt number `attempt` (1-based) now.
    case send(attempt: Int)
    /// Record the attempt and keep the delivery pending until `at`.
    case scheduleRetry(at: Timestamp)
    /// Record the attempt; the delivery is done.
    case markSucceeded
    /// Record the attempt; the delivery will not be tried again.
    case markFailed(reason: String)
    /// The receiver answered 410: mark this delivery gone, disable the endpoint, and stop every
    /// other pending delivery to it.
    case disableEndpoint
    /// Mark this delivery gone without sending (its endpoint was disabled).
    case markGone
    /// Nothing to do (not due, or already finished).
    case none
}
