import NIOCore
import PlexusCore

/// The node's ingest path as the API sees it: validate, log durably, then hand on. Implemented by
/// the node runtime; the API only adapts transports onto it.
public protocol MessageIngestor: Sendable {
    /// Parses, validates, normalises and durably logs a body holding one message or a batch.
    /// Returns only after the log committed, so the caller may acknowledge.
    func ingest(_ body: ByteBuffer, via ingress: Ingress) async throws(PlexusError) -> [IngestReceipt]

    /// Ingests separate items, each one message, with one outcome per item: a bad item fails
    /// alone (an edge dead-letters it) while the good ones are logged together in one append.
    /// Returns once the good ones committed. When the log fails, every item fails with
    /// `.unavailable` and the caller keeps them to retry.
    func ingest(each items: [IngestItem], via ingress: Ingress) async -> [Result<IngestReceipt, PlexusError>]

    /// Ingests several bodies (WebSocket frames), each a message or a batch as `ingest(_:via:)`
    /// takes it, with exactly one outcome per body, in order. A bad body fails alone; the good
    /// ones are logged together in one append, so a connection's queued frames share one trip to
    /// the log. Returns once they committed. When the log (or the forwarding outbox) refuses the
    /// append, every good body of the call fails with `.unavailable`, to be sent again.
    func ingest(frames bodies: [ByteBuffer], via ingress: Ingress) async -> [Result<[IngestReceipt], PlexusError>]
}

/// One message for `ingest(each:via:)`.
public struct IngestItem: Sendable {
    public var body: ByteBuffer
    /// The `message_uuid` to give the message when it has none: an edge that may hand the same
    /// item in twice (after a crash) derives it from the item's place in its queue, so the log
    /// keeps the message once.
    public var fallbackID: MessageID?

    public init(body: ByteBuffer, fallbackID: MessageID? = nil) {
        self.body = body
        self.fallbackID = fallbackID
    }
}

/// Which door a message came in by, for logs and metrics.
public enum Ingress: String, Sendable, Hashable {
    case http, webSocket = "websocket", compatHTTP = "compat-http", compatWebSocket = "compat-websocket"
    case redis, nats
    /// Messages the node originates itself: session results and mesh prompts.
    case sessions
}

/// What the source is told about one accepted message.
public struct IngestReceipt: Sendable, Hashable {
    public var messageID: MessageID
    /// True when the log already had this `message_uuid`: accepted again, stored once.
    public var duplicate: Bool
    /// Why the log could not hold the message (a value its database refuses): it was
    /// dead-lettered with this reason and is not delivered. Nil for every logged message.
    public var refused: String?

    public init(messageID: MessageID, duplicate: Bool, refused: String? = nil) {
        self.messageID = messageID
        self.duplicate = duplicate
        self.refused = refused
    }
}
