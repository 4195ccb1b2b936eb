/// Where a human-in-the-loop session stands, as the node reports it.
///
/// Mirrors the node's statuses; `unknown` keeps a status a newer node may add, so an old client
/// keeps working (and keeps waiting, since it cannot know the new status is final).
public enum HumanSessionStatus: Sendable, Hashable, CustomStringConvertible {
    /// Created (or re-prompted) and not yet accepted by its channel.
    case pending
    /// The channel accepted the prompt; waiting for a person.
    case sent
    /// A quorum session: some approvers answered, not enough yet.
    case responded
    /// The reply satisfied the template (and the quorum): the only status with an answer.
    case validated
    case failed
    case expired
    case rejected
    case declined
    case unknown(String)

    public init(rawValue: String) {
        switch rawValue {
        case "pending": self = .pending
        case "sent": self = .sent
        case "responded": self = .responded
        case "validated": self = .validated
        case "failed": self = .failed
        case "expired": self = .expired
        case "rejected": self = .rejected
        case "declined": self = .declined
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .pending: "pending"
        case .sent: "sent"
        case .responded: "responded"
        case .validated: "validated"
        case .failed: "failed"
        case .expired: "expired"
        case .rejected: "rejected"
        case .declined: "declined"
        case .unknown(let raw): raw
        }
    }

    /// No event changes a session in a final status any more; the node closes its event stream.
    public var isFinal: Bool {
        switch self {
        case .validated, .failed, .expired, .rejected, .declined: true
        case .pending, .sent, .responded, .unknown: false
        }
    }

    public var description: String { rawValue }
}
