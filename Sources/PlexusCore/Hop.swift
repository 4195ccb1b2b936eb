import Collections

/// One node that handled a message, and when. Each node appends itself to `hops`, so a reader can
/// trace a message's path through the mesh.
public struct Hop: Sendable, Hashable {
    public var node: String
    public var ts: Timestamp

    public init(node: String, ts: Timestamp) {
        self.node = node
        self.ts = ts
    }

    public var json: JSONValue { .object(["node": .string(node), "ts": .string(ts.rfc3339)]) }
}
