import PlexusCore

/// Everything a `PlexusClient` call can fail with, as one type so callers can switch on `code`
/// (the house rule for errors that cross a module boundary: a struct with a `Code`).
///
/// The session outcomes that are not answers (`expired`, `declined`, `rejected`, `failed`) are
/// errors on purpose: `sendAndWaitForResponse` returns only a validated reply, so an agent can
/// never mistake "nobody answered" for an answer.
public struct PlexusClientError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The node answered with a non-success HTTP status (or a problem frame on a WebSocket);
        /// `status` and `problem` say which and why.
        case http
        /// The session's expiry passed before a valid answer arrived.
        case expired
        /// A person refused to answer; `reason` says why when they gave one.
        case declined
        /// The agent (this client or another) withdrew the question.
        case rejected
        /// The replies kept breaking the template after every re-prompt, or the channel gave up;
        /// `replyErrors` holds the last reply's errors.
        case failed
        /// `sendAndWaitForResponse` waited `timeout` without a final status. The session may still
        /// be answered later; `sessionID` lets the caller look again.
        case timedOut
        /// The node accepted a message but could not store it (it was dead-lettered, not delivered).
        case refused
        /// The node's reply was not what this client understands (not JSON, a field missing).
        case invalidResponse
        /// A WebSocket closed abnormally (too slow a reader, a server error) and reconnecting did not help.
        case webSocketClosed
        /// The connection failed: refused, reset, timed out, TLS. `underlying` holds the cause.
        case transport
        /// The calling task was cancelled.
        case cancelled
    }

    public var code: Code
    /// What went wrong, for a person.
    public var message: String
    /// The session concerned, for the session outcomes and for session calls.
    public var sessionID: String?
    /// The HTTP status (or the `status` of a problem frame).
    public var status: Int?
    /// The RFC 9457 problem body the node sent, when it sent one.
    public var problem: ProblemDetails?
    /// The declined / rejected / failed reason, or the store's reason for a refused message.
    public var reason: String?
    /// The last reply's validation errors, for `failed`.
    public var replyErrors: [SessionReplyError]
    /// The session as it ended, for the session outcomes (and `timedOut` when it was rejected).
    public var session: HumanSessionInfo?
    /// The messages concerned by `refused`: every id of the batch, in order.
    public var messageIDs: [MessageID]
    /// The WebSocket close code, for `webSocketClosed`.
    public var closeCode: Int?
    /// The lower-level error, for `transport`.
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, sessionID: String? = nil) {
        self.code = code
        self.message = message
        self.sessionID = sessionID
        self.replyErrors = []
        self.messageIDs = []
    }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let sessionID { text += " (session \(sessionID))" }
        return text
    }

    /// A non-success HTTP reply, with the node's problem body when it sent one.
    static func http(status: Int, problem: ProblemDetails?, fallback: String) -> PlexusClientError {
        var error = PlexusClientError(.http, problem?.detail ?? problem?.title ?? fallback)
        error.status = status
        error.problem = problem
        return error
    }

    static func invalidResponse(_ message: String) -> PlexusClientError {
        PlexusClientError(.invalidResponse, message)
    }

    /// Keeps a `PlexusClientError` as it is and classifies anything else, so every public call
    /// throws this one type whatever the layer underneath threw.
    static func wrapping(_ error: any Error) -> PlexusClientError {
        if let error = error as? PlexusClientError { return error }
        if error is CancellationError { return PlexusClientError(.cancelled, "the task was cancelled") }
        var wrapped = PlexusClientError(.transport, "\(error)")
        wrapped.underlying = error
        return wrapped
    }

    /// Whether a session watch should reconnect after this error: connection trouble and server
    /// errors may pass, a refusal (unknown session, bad request) will not.
    var isRetryable: Bool {
        switch code {
        case .transport, .webSocketClosed: true
        case .http: (status ?? 500) >= 500 || status == 429
        default: false
        }
    }
}
