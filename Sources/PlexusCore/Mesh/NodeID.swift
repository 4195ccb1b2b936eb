/// The name of a node in the mesh, unique across organisations (by convention
/// `org/cluster/node`). It is what certificates name and what registry entries are owned by.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// The organisation part of an `org/cluster/name` id (the whole id when it has no `/`).
    public var organisation: String { Self.organisation(of: rawValue) }

    public static func organisation(of id: String) -> String {
        id.split(separator: "/", maxSplits: 1).first.map(String.init) ?? id
    }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where to send a mesh message: a known member, or a seed address whose node id is not known
/// until its certificate is seen.
public struct Peer: Hashable, Sendable, CustomStringConvertible {
    public var id: NodeID?
    public var address: String

    public init(id: NodeID?, address: String) {
        self.id = id
        self.address = address
    }

    public var description: String { id.map { "\($0)@\(address)" } ?? address }
}
