/// Something that happens to a session. The node turns requests, channel outcomes and its clock
/// into events; `SessionMachine` decides what they do.
public enum SessionEvent: Sendable, Hashable {
    /// The channel accepted the current round's prompt.
    case delivered
    /// The channel did not take the prompt; `retryAt` nil means it gave up for good.
    case deliveryFailed(reason: String, retryAt: Timestamp?)
    /// A person's answer (through a channel callback, the inbox, Slack, the API).
    case reply(JSONValue, approver: String?)
    /// A person refused to answer.
    case decline(reason: String?, approver: String?)
    /// The agent withdrew the question.
    case reject(reason: String?)
    /// The expiry timer fired.
    case expire
    /// The validated result is in the message log.
    case resultPublished
}

/// What the node must do after a transition, besides storing the session.
public enum SessionEffect: Sendable, Hashable {
    /// Send the current round's prompt over the session's channel.
    case deliver
    /// Publish the result message (id fixed in the session, so a retry is a duplicate).
    case publishResult
    /// Fire a webhook event of this kind (`session.validated`, `session.reprompted`...).
    case notify(String)
}

/// The outcome of one event: the session after it, what to do, and, when the event was refused,
/// why. A refused event may still change the session: a reply that comes after the expiry date
/// expires the session and is refused.
public struct SessionTransition: Sendable, Hashable {
    public var session: HumanSession
    public var effects: [SessionEffect]
    public var refusal: PlexusError?
    /// Whether `session` differs from what it was (and must be stored).
    public var changed: Bool

    public init(session: HumanSession, effects: [SessionEffect] = [], refusal: PlexusError? = nil, changed: Bool) {
        self.session = session
        self.effects = effects
        self.refusal = refusal
        self.changed = changed
    }
}
