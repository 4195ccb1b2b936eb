/// What the checker knows about a message besides its envelope: where it came in and from whom.
public struct ConstraintContext: Sendable, Hashable {
    /// The organisation of the node where the message entered the mesh.
    public var organisation: String
    /// The door it came in by (`http`, `websocket`, `redis`, `nats`, `peer`...).
    public var ingress: String
    /// This node's name.
    public var node: String

    public init(organisation: String, ingress: String, node: String) {
        self.organisation = organisation
        self.ingress = ingress
        self.node = node
    }
}

/// What the checker decided about one message.
public enum ConstraintOutcome: Sendable, Hashable {
    /// Let in, as `envelope` (its topic or metadata possibly changed by a policy, its
    /// `policy_decision` set when any rule applied), once it takes these rate-limit tokens.
    case accepted(Envelope, charges: [RateCharge])
    /// Refused by an ACL, a template, a size limit or a policy; `envelope` carries the decision
    /// so the refusal can be logged for audit.
    case denied(Envelope, PlexusError)
}
