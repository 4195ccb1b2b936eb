import PlexusCore

/// Delivers one round's prompt over a channel. The node's implementation is `ChannelDispatcher`;
/// the protocol keeps `SessionService` free of HTTP and SMTP.
public protocol ChannelSender: Sendable {
    func deliver(_ prompt: ChannelPrompt, over channel: ChannelRecord) async -> ChannelDeliveryOutcome
}

/// How a delivery attempt ended.
public enum ChannelDeliveryOutcome: Sendable, Hashable {
    case delivered
    /// Worth retrying later (a 5xx, a timeout, a refused connection).
    case transient(String)
    /// Retrying cannot help (a refused address, a 4xx, a redirect, a bad setting).
    case permanent(String)
}
