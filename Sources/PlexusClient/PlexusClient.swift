import AsyncHTTPClient
import PlexusCore

/// A client for one Plexus node: messages over HTTP, the live stream and session events over
/// WebSocket, and human-in-the-loop questions that wait on the node's push channel.
///
/// Cheap to copy and `Sendable`: share one value between tasks. It owns no connections; HTTP goes
/// through the given `HTTPClient` (its pool), each WebSocket is opened for the stream that needs it.
///
/// ## Asking a person and waiting for the answer
///
/// ```swift
/// import PlexusClient
/// import PlexusCore
///
/// let plexus = PlexusClient(baseURL: "http://127.0.0.1:7700")
/// let request = SessionRequest(
///     subjectID: "agent-1",
///     message: ["message": "Refund order 1042 for 180 EUR?"],
///     template: [
///         "type": "object",
///         "required": ["approved"],
///         "properties": ["approved": ["type": "boolean"], "note": ["type": "string"]],
///     ],
///     channelID: "inbox",
///     expiry: .after(.seconds(3600))
/// )
/// do {
///     let answer = try await plexus.sendAndWaitForResponse(request, timeout: .seconds(3600))
///     if answer.data["approved"] == true {
///         // ... refund; answer.approvals says who approved.
///     }
/// } catch {
///     // Typed throws: `error` is a PlexusClientError.
///     switch error.code {
///     case .expired, .timedOut: break          // nobody answered in time: not an answer
///     case .declined, .rejected: break        // error.reason says why
///     case .failed: break                     // error.replyErrors: the last reply's problems
///     default: throw error                    // the node or the network failed
///     }
/// }
/// ```
///
/// `sendAndWaitForResponse` creates the session, then listens on `WS /v1/sessions/{id}/events`
/// (no polling). A dropped WebSocket is reopened a few times (`Configuration.reconnect`); the node
/// sends the current state first on every connection, so no change is missed.
public struct PlexusClient: Sendable {
    /// The node's base URL (`http://host:port`, or `https://`); WebSockets use `ws://` / `wss://`.
    public let baseURL: String
    public let httpClient: HTTPClient
    /// Sent as `X-Plexus-Actor` on HTTP requests, so the node's audit trail names who made a change.
    public let actor: String?
    public var configuration: Configuration

    /// - Parameters:
    ///   - baseURL: `http://127.0.0.1:7700` for a `plexus dev` node; a trailing `/` is ignored.
    ///   - httpClient: the pool HTTP requests go through; the process-wide `.shared` by default.
    ///   - actor: who this client acts for, sent as `X-Plexus-Actor`.
    public init(baseURL: String, httpClient: HTTPClient = .shared, actor: String? = nil, configuration: Configuration = .init()) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.httpClient = httpClient
        self.actor = actor
        self.configuration = configuration
    }
}
