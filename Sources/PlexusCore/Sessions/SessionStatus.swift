/// Where a human-in-the-loop session stands.
///
/// `pending → sent → (responded →) validated | failed`, plus three ends that are never an answer:
/// `expired` (nobody answered in time), `rejected` (the agent withdrew the question) and
/// `declined` (a person refused to answer). Only `validated` carries a result.
public enum SessionStatus: String, Sendable, Hashable, CaseIterable {
    /// Created (or re-prompted) and not yet accepted by its channel.
    case pending
    /// The channel accepted the prompt; waiting for a person.
    case sent
    /// A quorum session: some approvers answered validly, not enough yet.
    case responded
    /// The reply satisfied the template (and the quorum); the result is published.
    case validated
    /// The replies kept breaking the template after every re-prompt, or the channel gave up.
    case failed
    case expired
    case rejected
    case declined

    /// A final status: no event changes the session any more.
    public var isFinal: Bool {
        switch self {
        case .pending, .sent, .responded: false
        case .validated, .failed, .expired, .rejected, .declined: true
        }
    }
}
