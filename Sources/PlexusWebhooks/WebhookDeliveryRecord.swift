import PlexusCore

/// One delivery (one event to one endpoint) as the delivery log shows it to an operator.
public struct WebhookDeliveryRecord: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Waiting for its first or next attempt (`nextAttemptAt`).
        case pending
        case succeeded
        /// Will not be tried again: attempts or age used up, a redirect, a refused address.
        case failed
        /// The endpoint answered 410 (on this or another delivery) and was disabled.
        case gone
    }

    public var id: Int64
    public var endpointID: String
    public var eventID: String
    public var eventKind: String
    public var status: Status
    public var createdAt: Timestamp
    /// Set while pending.
    public var nextAttemptAt: Timestamp?
    /// Why a failed delivery stopped.
    public var failureReason: String?
    /// Oldest first.
    public var attempts: [WebhookAttemptRecord]

    public init(
        id: Int64, endpointID: String, eventID: String, eventKind: String, status: Status, createdAt: Timestamp,
        nextAttemptAt: Timestamp?, failureReason: String?, attempts: [WebhookAttemptRecord]
    ) {
        self.id = id
        self.endpointID = endpointID
        self.eventID = eventID
        self.eventKind = eventKind
        self.status = status
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.failureReason = failureReason
        self.attempts = attempts
    }
}
