/// The first frame each side of a peer link sends once TLS is up.
///
/// The certificate already proves who the peer is; the hello says what it speaks and where it
/// listens. `address` is the address other nodes should dial (the accepting side only sees an
/// ephemeral source port), and `generation` — the sender's start time — lets the receiver tell a
/// restarted peer from a reconnect of the same process, so it can drop state the old run owned.
///
/// Decoding does not judge `protocolVersion`: the link state machine compares it with its own and
/// answers with a `goodbye` naming both, which a frame decoder cannot do.
public struct PeerHello: Sendable, Equatable {
    public var protocolVersion: UInt8
    public var node: NodeID
    /// `host:port` this node accepts peer links on.
    public var address: String
    /// The sender's start time; grows across restarts of the same node.
    public var generation: UInt64

    public init(protocolVersion: UInt8 = PeerFrame.version, node: NodeID, address: String, generation: UInt64) {
        self.protocolVersion = protocolVersion
        self.node = node
        self.address = address
        self.generation = generation
    }
}
