import NIOCore

/// A message the server delivered (MSG or HMSG). `payload` is a slice of the read buffer, so
/// handing it on costs no copy.
public struct NATSMessage: Sendable, Hashable {
    public var subject: String
    public var sid: Int
    public var replyTo: String?
    /// Present for HMSG (even when empty of fields: a status-only message still has headers).
    public var headers: NATSHeaders?
    public var payload: ByteBuffer

    public init(subject: String, sid: Int, replyTo: String? = nil, headers: NATSHeaders? = nil, payload: ByteBuffer) {
        self.subject = subject
        self.sid = sid
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
    }

    /// The status of the `NATS/1.0` line, if any (503: no responders, 408: request timeout).
    public var status: Int? { headers?.status }

    /// The server's answer to a request nobody subscribes to: HMSG with status 503 and no body.
    public var isNoResponders: Bool { status == 503 && payload.readableBytes == 0 }
}
