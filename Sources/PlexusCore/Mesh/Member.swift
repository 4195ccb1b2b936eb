/// What one node believes about another (SWIM's member record).
public struct Member: Sendable, Equatable {
    public enum Status: UInt8, Sendable, Equatable, Comparable, CustomStringConvertible {
        case alive = 0, suspect = 1, dead = 2, left = 3

        public static func < (a: Status, b: Status) -> Bool { a.rawValue < b.rawValue }
        public var description: String {
            switch self {
            case .alive: "alive"
            case .suspect: "suspect"
            case .dead: "dead"
            case .left: "left"
            }
        }
    }

    public var id: NodeID
    public var address: String
    public var incarnation: UInt64
    public var status: Status
    /// When `status` last changed, on this node's clock; dead members are reclaimed from it.
    public var since: MeshInstant

    public init(id: NodeID, address: String, incarnation: UInt64, status: Status, since: MeshInstant) {
        self.id = id
        self.address = address
        self.incarnation = incarnation
        self.status = status
        self.since = since
    }

    /// Alive or suspect: still probed, gossiped to and counted.
    public var isActive: Bool { status == .alive || status == .suspect }
}

/// A member's state as sent in anti-entropy summaries and updates.
public struct MemberSummary: Sendable, Equatable, Hashable {
    public var id: NodeID
    public var address: String
    public var incarnation: UInt64
    public var status: Member.Status

    public init(id: NodeID, address: String, incarnation: UInt64, status: Member.Status) {
        self.id = id
        self.address = address
        self.incarnation = incarnation
        self.status = status
    }

    /// SWIM's precedence: a higher incarnation wins; at equal incarnation suspect beats alive and
    /// dead/left beat both.
    public func supersedes(incarnation other: UInt64, status otherStatus: Member.Status) -> Bool {
        incarnation > other || (incarnation == other && status > otherStatus)
    }
}

/// A membership change the core reports to its shell and to the simulator's observers.
public struct MemberChange: Sendable, Equatable, CustomStringConvertible {
    public var node: NodeID
    public var status: Member.Status
    public var incarnation: UInt64
    /// `nil` when the node was not known before.
    public var previous: Member.Status?

    public init(node: NodeID, status: Member.Status, incarnation: UInt64, previous: Member.Status?) {
        self.node = node
        self.status = status
        self.incarnation = incarnation
        self.previous = previous
    }

    public var description: String { "\(node) \(previous.map { "\($0)" } ?? "new") → \(status) (inc \(incarnation))" }
}
