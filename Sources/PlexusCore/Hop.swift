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

    /// `json`'s bytes, as `Envelope.serialized()` writes them in `hops`.
    func write(into out: inout [UInt8]) {
        JSONWriter.append(#"{"node":"#, to: &out)
        JSONWriter.writeString(node, into: &out)
        JSONWriter.append(#","ts":"#, to: &out)
        JSONWriter.writeString(ts.rfc3339, into: &out)
        out.append(UInt8(ascii: "}"))
    }
}
