/// How a channel reaches a person (`channel_metadata.type`).
public enum ChannelKind: String, Sendable, Hashable, CaseIterable {
    /// The original custom-channel contract: a signed POST of `{session_id, message, response_url}`.
    case webhook
    /// A Slack incoming webhook with buttons; interaction callbacks signed with Slack's secret.
    case slack
    /// A Microsoft Teams incoming webhook card linking to the node's inbox.
    case teams
    /// A mail over SMTP linking to the node's inbox.
    case email
    /// A message to a human subject attached to any node of the mesh.
    case mesh
    /// The node's own web page (`/inbox`).
    case inbox

    /// The metadata fields holding secrets: never shown by reads after the write that set them.
    public var secretFields: [String] {
        switch self {
        case .webhook: ["secret"]
        case .slack: ["signing_secret", "webhook_url"]
        case .teams: ["webhook_url"]
        case .email: ["password"]
        case .mesh, .inbox: []
        }
    }
}
