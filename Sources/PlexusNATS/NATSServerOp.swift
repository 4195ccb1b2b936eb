/// One operation the server sent.
public enum NATSServerOp: Sendable, Hashable {
    case info(NATSServerInfo)
    /// MSG or HMSG.
    case msg(NATSMessage)
    case ping
    case pong
    case ok
    /// `-ERR`, with the server's text without its quotes (e.g. `Authorization Violation`).
    case err(String)
}
