/// Whom a held message still has to reach: a node (a destination subject's home, a node with
/// interest in the topic) or, at the origin only, a subject whose home is not known yet.
public enum RouteTarget: Sendable, Hashable, Comparable, CustomStringConvertible {
    case node(NodeID)
    case subject(String)

    /// The durable form (outbox rows, dead letters): `node:<id>` or `subject:<id>`.
    public var description: String {
        switch self {
        case .node(let id): "node:\(id.rawValue)"
        case .subject(let s): "subject:\(s)"
        }
    }

    public init?(_ text: String) {
        if text.hasPrefix("node:") { self = .node(NodeID(String(text.dropFirst(5)))) }
        else if text.hasPrefix("subject:") { self = .subject(String(text.dropFirst(8))) }
        else { return nil }
    }

    /// Targets stored space-separated (ids hold no spaces), each once: a row extended by a later
    /// append may name one twice.
    public static func list(from text: some StringProtocol) -> [RouteTarget] {
        var seen = Set<RouteTarget>()
        return text.split(separator: " ").compactMap { RouteTarget(String($0)) }.filter { seen.insert($0).inserted }
    }

    public static func < (a: RouteTarget, b: RouteTarget) -> Bool { a.description < b.description }
}

/// What the forwarding core asks its shell to do.
public enum ForwardDirective: Sendable, Equatable {
    case send(DataFrame, to: NodeID)
    case ack(DataAck, to: NodeID)
    /// Hand to local recipients (subject sessions, push subscriptions, topic subscribers).
    case deliver(MessageID)
    /// Every target was acknowledged downstream: drop the message from the durable outbox.
    case released(MessageID)
    /// Given up on these targets (not handed on before the expiry): record a
    /// dead letter with the reason and drop the message from the outbox.
    case deadLetter(MessageID, targets: [RouteTarget], reason: String)
    case schedule(RoutingTimer, after: Duration)
    /// A next hop stopped acknowledging data while messages were outstanding, and they were
    /// failed over: ask the membership protocol to probe it now (`MeshCore.probeNow`). Its
    /// turn in SWIM's round robin can be seconds away, and until it is suspected every other
    /// node still routes through it. The probe's own rules decide; silence alone suspects no one.
    case checkPeer(NodeID)
}

public enum RoutingTimer: Sendable, Hashable {
    case retry(token: UInt64)
}

/// The core's verdict on a message offered for custody.
public enum Admission: Sendable, Equatable {
    /// New to this node (or new targets): log it durably with `role`, hold `targets` in the
    /// outbox, then call `persisted`. `deliverHere`: this node hosts a recipient.
    case accepted(role: LogRole, deliverHere: Bool, targets: [RouteTarget])
    /// Already held or handled: nothing to log; the ack is in the directives (or follows when
    /// the earlier copy is durable).
    case duplicate
    /// The outbox is full: not acknowledged, so the sender keeps it and retries.
    case busy
    /// Never to be forwarded (over the hop limit, nothing to deliver). Acknowledged so the
    /// sender stops; the shell records a dead letter with `reason`.
    case refused(String)
}

/// Counters of the forwarding core (shown in `/v1/routes` and the simulator's report).
public struct ForwardingStats: Sendable, Equatable {
    public var originated = 0
    public var accepted = 0
    public var duplicates = 0
    public var transmissions = 0
    public var retransmissions = 0
    /// Ack deadlines that gave a transmission up: found lost, sent again as the hop's probe, or
    /// the hop failed over for silence (`RoutingCore.timerFired`).
    public var timeouts = 0
    /// Ack deadlines that passed while the next hop still acked, for transmissions queued there
    /// behind its oldest: waited for one more timeout instead of sent again.
    public var ackWaitsExtended = 0
    /// Next hops failed over (silent past `failAfter`, link closed, or no longer up), and the
    /// transmissions in flight on them that went back to be routed then.
    public var failovers = 0
    public var failedOverInFlight = 0
    /// Transmissions found lost (a later one to the same hop was acked first) and sent again.
    public var lostTransmissions = 0
    public var acksReceived = 0
    public var delivered = 0
    public var released = 0
    public var deadLettered = 0
    public var busy = 0
    /// Copies handed back by the peer they were being handed to (a transient routing loop).
    public var bounced = 0
    /// Copies that came back to a node they had left (a longer loop), sent on avoiding the
    /// peers they went to before.
    public var looped = 0
    /// Acks of transmissions already given up on (timed out or failed over): custody released
    /// all the same.
    public var lateAcks = 0
    public init() {}
}
