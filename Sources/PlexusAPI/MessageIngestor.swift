import NIOCore
import PlexusCore

/// The node's ingest path as the API sees it: validate, log durably, then hand on. Implemented by
/// the node runtime; the API only adapts transports onto it.
public protocol MessageIngestor: Sendable {
    /// Parses, validates, normalises and durably logs a body holding one message or a batch.
    /// Returns only after the log committed, so the caller may acknowledge.
    func ingest(_ body: ByteBuffer, via ingress: Ingress) async throws(PlexusError) -> [IngestReceipt]
}

/// Which door a message came in by, for logs and metrics.
public enum Ingress: String, Sendable, Hashable {
    case http, webSocket = "websocket", compatHTTP = "compat-http", compatWebSocket = "compat-websocket"
}

/// What the source is told about one accepted message.
public struct IngestReceipt: Sendable, Hashable {
    public var messageID: MessageID
    /// True when the log already had this `message_uuid`: accepted again, stored once.
    public var duplicate: Bool

    public init(messageID: MessageID, duplicate: Bool) {
        self.messageID = messageID
        self.duplicate = duplicate
    }
}
