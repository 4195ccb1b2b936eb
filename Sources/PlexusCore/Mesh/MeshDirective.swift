/// Timers the core asks its shell to arm. A timer is never cancelled: when it fires the core
/// checks whether it still matters (sequence numbers and tokens), which keeps the shell trivial.
public enum MeshTimer: Sendable, Hashable {
    case probe(token: UInt64)
    case probeTimeout(seq: UInt32)
    /// End of an out-of-band probe's protocol period (regular probes end at the next `.probe`).
    case probeEnd(seq: UInt32)
    case relayTimeout(seq: UInt32)
    case suspicion(NodeID, token: UInt64)
    case gossip(token: UInt64)
    case antiEntropy
    case housekeeping
}

/// A registry change the core reports after applying it (locally written or learned).
public struct RegistryChange: Sendable, Equatable {
    public enum Action: Sendable, Equatable { case upserted, removed }
    public var key: RegistryKey
    public var version: EntryVersion
    public var action: Action

    public init(key: RegistryKey, version: EntryVersion, action: Action) {
        self.key = key
        self.version = version
        self.action = action
    }
}

/// What the core asks its shell to do. `Equatable`, so tests read `#expect(core.on…(…) == […])`.
public enum MeshDirective: Sendable, Equatable {
    case send(MeshMessage, to: Peer)
    case schedule(MeshTimer, after: Duration)
    case membershipChanged(MemberChange)
    case registryChanged(RegistryChange)
}
