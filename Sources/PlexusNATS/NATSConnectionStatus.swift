/// Where a NATS client is in its life, for health endpoints and the bridge's decisions.
public enum NATSConnectionStatus: String, Sendable, Hashable {
    /// `connect()` has not been called.
    case idle
    /// Dialling or handshaking for the first time.
    case connecting
    case connected
    /// The connection was lost; publishes are buffered (bounded) until it is back.
    case reconnecting
    /// Closed by `close()`, or the first connect failed, or reconnect attempts ran out.
    case closed
}
