/// The kinds of record the gossiped registry holds. The raw value is the wire tag.
public enum RegistryKind: UInt8, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case node = 1, subject = 2, backbone = 3, nodeHealth = 4, linkHealth = 5, interest = 6, config = 7

    public static func < (a: RegistryKind, b: RegistryKind) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .node: "node"
        case .subject: "subject"
        case .backbone: "backbone"
        case .nodeHealth: "node_health"
        case .linkHealth: "link_health"
        case .interest: "interest"
        case .config: "config"
        }
    }

    /// Kinds whose id must be the owner's own node id.
    public var isPerNode: Bool { self == .node || self == .nodeHealth || self == .linkHealth || self == .interest }
}

/// Version of an owner's entries: `generation` rises on every start of the owner (its start time
/// in milliseconds), `counter` on every change within a generation. Versions are compared only
/// between entries of the same owner, so no clocks across nodes need to agree.
public struct EntryVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var generation: UInt64
    public var counter: UInt64

    public init(generation: UInt64, counter: UInt64) {
        self.generation = generation
        self.counter = counter
    }

    public static func < (a: EntryVersion, b: EntryVersion) -> Bool {
        (a.generation, a.counter) < (b.generation, b.counter)
    }

    public var description: String { "\(generation).\(counter)" }
}

/// Identity of an entry: every owner has its own namespace, so two nodes announcing the same
/// subject id never overwrite each other (a moved agent shows at both until the old home deletes it).
public struct RegistryKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var owner: NodeID
    public var kind: RegistryKind
    public var id: String

    public init(owner: NodeID, kind: RegistryKind, id: String) {
        self.owner = owner
        self.kind = kind
        self.id = id
    }

    public static func < (a: RegistryKey, b: RegistryKey) -> Bool {
        (a.owner.rawValue, a.kind.rawValue, a.id) < (b.owner.rawValue, b.kind.rawValue, b.id)
    }

    public var description: String { "\(owner)/\(kind)/\(id)" }
}

/// One signed registry record. `payload` is canonical JSON (the core's writer, keys in insertion
/// order) or `nil` for a tombstone; the signature covers key, version and payload.
public struct RegistryEntry: Sendable, Equatable {
    public var key: RegistryKey
    public var version: EntryVersion
    public var payload: [UInt8]?
    public var signature: [UInt8]

    public init(key: RegistryKey, version: EntryVersion, payload: [UInt8]?, signature: [UInt8]) {
        self.key = key
        self.version = version
        self.payload = payload
        self.signature = signature
    }

    public var isTombstone: Bool { payload == nil }

    /// The decoded payload, `nil` for tombstones or (impossible for verified entries) bad JSON.
    public var value: JSONValue? {
        guard let payload else { return nil }
        return try? JSONParser.parse(payload)
    }
}

/// What anti-entropy summaries carry about an entry.
public struct EntrySummary: Sendable, Hashable {
    public var key: RegistryKey
    public var version: EntryVersion

    public init(key: RegistryKey, version: EntryVersion) {
        self.key = key
        self.version = version
    }
}
