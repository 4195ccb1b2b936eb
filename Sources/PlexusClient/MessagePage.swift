import PlexusCore

/// One page of `GET /v1/messages`: newest first, and the cursor for the next (older) page.
public struct MessagePage: Sendable, Hashable {
    /// The envelopes as the node logged them.
    public var messages: [JSONValue]
    /// Pass to `messagePage(cursor:)` for the next page; nil on the last page.
    public var nextCursor: String?

    public init(messages: [JSONValue], nextCursor: String?) {
        self.messages = messages
        self.nextCursor = nextCursor
    }
}
