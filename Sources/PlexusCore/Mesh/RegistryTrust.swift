/// Decides whose registry entries a node believes: which signing key belongs to which node, and
/// what each node may announce. The registry asks it once per node entry; everything else an
/// owner signs is then checked against the key and namespace admitted here.
///
/// The core ships `OpenTrust` (trust on first use, no namespaces: the simulator and unit tests);
/// real nodes use the certificate-based trust of the `PlexusIdentity` target, which binds the key
/// to a CA-signed certificate and applies the namespaces of foreign organisations.
public protocol RegistryTrust: Sendable {
    /// Admits (or refuses) `owner`'s node entry payload.
    func admitNode(owner: NodeID, payload: JSONValue) -> NodeAdmission

    /// Whether the first key admitted for an owner stays pinned. Trust on first use must pin (or
    /// anyone could take over a name); certificate trust need not, since every key it admits was
    /// vouched for by a CA, so a node re-issued a certificate with a new key is believed.
    var pinsFirstKey: Bool { get }
}

extension RegistryTrust {
    public var pinsFirstKey: Bool { true }
}

public enum NodeAdmission: Sendable, Equatable {
    case admitted(NodeCredential)
    case rejected(Registry.RejectReason)
}

/// What the registry remembers about an admitted owner.
public struct NodeCredential: Sendable, Equatable {
    /// Raw Ed25519 public key (32 bytes) that must sign all of the owner's entries.
    public var signingKey: [UInt8]
    /// The owner's organisation, for the API and metrics ("" when unknown).
    public var organisation: String
    /// What the owner may announce.
    public var namespace: Namespace
    /// When the credential was issued (a certificate's notValidBefore, seconds since 1970). A
    /// different key for a known owner is accepted only from a credential issued no earlier, so
    /// an old or leaked certificate cannot take a node's key back.
    public var issuedAt: Int64

    public init(signingKey: [UInt8], organisation: String, namespace: Namespace = .unrestricted, issuedAt: Int64 = 0) {
        self.issuedAt = issuedAt
        self.signingKey = signingKey
        self.organisation = organisation
        self.namespace = namespace
    }
}

/// Which subject ids, backbone ids and clusters an organisation may announce. Each list holds
/// glob patterns where `*` matches any run of characters (`globex.*`, `*`); `nil` means anything.
public struct Namespace: Sendable, Equatable {
    public var subjects: [String]?
    public var backbones: [String]?
    public var clusters: [String]?

    public init(subjects: [String]?, backbones: [String]?, clusters: [String]?) {
        self.subjects = subjects
        self.backbones = backbones
        self.clusters = clusters
    }

    /// The own organisation's namespace: everything.
    public static let unrestricted = Namespace(subjects: nil, backbones: nil, clusters: nil)

    /// Whether an entry of `kind` with `id` and decoded `value` is in this namespace. Node-level
    /// kinds are checked at admission; a backbone's `cluster_id` must also be an allowed cluster.
    /// `value` is parsed only when the rule needs it (a backbone with restricted clusters):
    /// every gossiped entry passes through here.
    public func allows(kind: RegistryKind, id: String, value: @autoclosure () -> JSONValue?) -> Bool {
        switch kind {
        case .node, .nodeHealth, .linkHealth, .interest:
            return true
        case .subject:
            return Self.matches(subjects, id)
        case .backbone:
            guard Self.matches(backbones, id) else { return false }
            guard clusters != nil, let value = value() else { return true }  // a tombstone withdraws only the owner's own entry
            // With clusters restricted, a record (a delete marker included) must name one of them:
            // a record without a cluster could otherwise supersede any organisation's record.
            guard case .string(let cluster)? = value["cluster_id"] else { return false }
            return Self.matches(clusters, cluster)
        case .config:
            // Policies, templates and limits bind every node: only the own organisation (whose
            // namespace is unrestricted) may set them, never a federated one.
            return self == .unrestricted
        }
    }

    public func allowsCluster(_ cluster: String) -> Bool { Self.matches(clusters, cluster) }

    static func matches(_ patterns: [String]?, _ value: String) -> Bool {
        guard let patterns else { return true }
        return patterns.contains { Glob.matches(pattern: Array($0.utf8), Array(value.utf8)) }
    }
}

/// `*`-only glob matching (no character classes, no escapes), linear in practice.
enum Glob {
    static func matches(pattern p: [UInt8], _ s: [UInt8]) -> Bool {
        let star = UInt8(ascii: "*")
        var pi = 0, si = 0
        var starAt = -1, resumeAt = 0
        while si < s.count {
            if pi < p.count, p[pi] != star, p[pi] == s[si] {
                pi += 1; si += 1
            } else if pi < p.count, p[pi] == star {
                starAt = pi; resumeAt = si; pi += 1
            } else if starAt >= 0 {
                pi = starAt + 1; resumeAt += 1; si = resumeAt
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == star { pi += 1 }
        return pi == p.count
    }
}

/// Trust on first use with no namespaces: the key is taken from the node entry's `signing_key`
/// and pinned. Right for the simulator and for a single-node `plexus dev`; never across
/// organisations.
public struct OpenTrust: RegistryTrust {
    public init() {}

    public func admitNode(owner: NodeID, payload: JSONValue) -> NodeAdmission {
        guard case .string(let hex)? = payload["signing_key"], let raw = Hex.decode(hex), raw.count == 32 else {
            return .rejected(.malformed)
        }
        var organisation = ""
        if case .string(let org)? = payload["organisation"] { organisation = org }
        return .admitted(NodeCredential(signingKey: raw, organisation: organisation))
    }
}
