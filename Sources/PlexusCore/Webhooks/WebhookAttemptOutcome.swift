/// How one HTTP attempt of a webhook delivery ended, as the shell observed it.
public enum WebhookAttemptOutcome: Sendable, Hashable, CustomStringConvertible {
    /// The receiver answered with this status (the body is never read).
    case response(statusCode: Int)
    /// No complete response head within the request timeout.
    case timedOut
    /// DNS failure, connection refused or reset, TLS failure...: the receiver may be back soon.
    case connectionFailed(String)
    /// The address guard refused the URL or what its host resolved to: no connection was made.
    case refused(String)

    /// What the outcome means for the delivery.
    public enum Verdict: Sendable, Hashable {
        case delivered
        /// 410 Gone: the receiver says the endpoint no longer exists.
        case gone
        /// Retrying cannot help (a redirect, a refused address).
        case permanentFailure(String)
        case transientFailure(String)
    }

    public var verdict: Verdict {
        switch self {
        case .response(let code) where (200...299).contains(code):
            return .delivered
        case .response(410):
            return .gone
        case .response(let code) where (300...399).contains(code):
            // Following a redirect would let a receiver point the node at any URL, past the
            // address guard's check of the configured one (RELIABILITY S4).
            return .permanentFailure("HTTP \(code): redirects are not followed; configure the final URL")
        case .response(let code):
            return .transientFailure("HTTP \(code)")
        case .timedOut:
            return .transientFailure("timed out")
        case .connectionFailed(let reason):
            return .transientFailure(reason)
        case .refused(let reason):
            // A policy refusal, not a network fault: the same URL will be refused again.
            return .permanentFailure(reason)
        }
    }

    public var description: String {
        switch self {
        case .response(let code): return "HTTP \(code)"
        case .timedOut: return "timed out"
        case .connectionFailed(let reason): return reason
        case .refused(let reason): return "refused: \(reason)"
        }
    }
}
