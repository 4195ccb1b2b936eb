import PlexusCore

/// One HTTP attempt of a delivery. Holds the status code or an error text, never the response body.
public struct WebhookAttemptRecord: Sendable, Hashable {
    /// 1-based.
    public var number: Int
    public var startedAt: Timestamp
    public var duration: Duration
    /// The response status, when there was a response.
    public var statusCode: Int?
    /// What went wrong when there was no response (timeout, connection, refused address).
    public var error: String?

    public init(number: Int, startedAt: Timestamp, duration: Duration, statusCode: Int?, error: String?) {
        self.number = number
        self.startedAt = startedAt
        self.duration = duration
        self.statusCode = statusCode
        self.error = error
    }
}
