/// The replicated map of signed entries. Every node holds a copy; entries are owned by the node
/// that signed them and only that owner's newer versions replace them.
public struct Registry: Sendable {
    public enum Outcome: Sendable, Equatable {
        case applied(RegistryChange)
        case stale
        /// Held until the owner's node entry (and with it its key) arrives.
        case pending
        case rejected(RejectReason)
    }

    public enum RejectReason: String, Sendable, Equatable {
        case badSignature = "bad_signature"
        case namespace = "out_of_namespace"
        case unknownKey = "bad_signing_key"
        case malformed
    }

    public struct Stats: Sendable, Equatable {
        public var applied = 0
        public var stale = 0
        public var rejectedSignature = 0
        public var rejectedNamespace = 0
        public var rejectedMalformed = 0
        public var pendingDropped = 0
    }

    public private(set) var entries: [RegistryKey: RegistryEntry] = [:]
    /// The keys of `entries` by owner: routing re-reads one owner's entries on every change of
    /// them, which must not cost a scan of the whole registry (200 nodes × their entries).
    private var keysByOwner: [NodeID: Set<RegistryKey>] = [:]
    /// Validly signed entries this node does not believe (outside their owner's namespace here).
    /// Kept, bounded, and counted in the digest and served in anti-entropy, so two nodes whose
    /// trust settings differ still converge instead of re-sending them every round; never shown
    /// by the API nor applied.
    public private(set) var quarantined: [RegistryKey: RegistryEntry] = [:]
    private var quarantinedBytes = 0
    static let maxQuarantined = 4_096
    static let maxQuarantinedBytes = 8 << 20
    public private(set) var digest = DigestLeaves()
    public private(set) var stats = Stats()
    var verifier = SignatureVerifier()
    let trust: any RegistryTrust
    /// What each admitted owner may announce.
    public private(set) var credentials: [NodeID: NodeCredential] = [:]
    private var pending: [NodeID: [RegistryEntry]] = [:]
    private var pendingTotal = 0
    static let maxPendingPerOwner = 64
    static let maxPendingTotal = 4_096

    /// - Parameters:
    ///   - trust: who may sign what; `OpenTrust` (first key wins, no namespaces) by default.
    ///   - signatureCache: shared memo of valid signatures (the simulator passes one).
    public init(trust: any RegistryTrust = OpenTrust(), signatureCache: SignatureCache? = nil) {
        self.trust = trust
        verifier.cache = signatureCache
    }

    public subscript(key: RegistryKey) -> RegistryEntry? { entries[key] }

    /// Keys of the entries `owner` announced (tombstones included).
    public func keys(of owner: NodeID) -> Set<RegistryKey> { keysByOwner[owner] ?? [] }

    /// Live (non-tombstone) entries of one kind.
    public func live(_ kind: RegistryKind) -> [RegistryEntry] {
        entries.values.filter { $0.key.kind == kind && !$0.isTombstone }.sorted { $0.key < $1.key }
    }

    static func keyHash(_ key: RegistryKey) -> UInt64 {
        var h = StableHash()
        h.combine(key.owner.rawValue)
        h.combine(byte: key.kind.rawValue)
        h.combine(key.id)
        return h.value
    }

    static func itemHash(_ key: RegistryKey, _ version: EntryVersion) -> UInt64 {
        var h = StableHash()
        h.combine(keyHash(key))
        h.combine(version.generation)
        h.combine(version.counter)
        return h.value
    }

    /// Checks and applies one entry. Only entries that verify against their owner's key and stay
    /// in the owner's namespace are kept; a node entry carries its owner's public key. The first
    /// outcome is the entry's own; when it was a node entry, entries held for that owner follow.
    public mutating func apply(_ entry: RegistryEntry) -> [Outcome] {
        let outcome = applyOne(entry)
        var outcomes = [outcome]
        if case .applied(let change) = outcome, change.key.kind == .node, let held = pending.removeValue(forKey: change.key.owner) {
            pendingTotal -= held.count
            for e in held { outcomes.append(applyOne(e)) }
        }
        return outcomes
    }

    private mutating func applyOne(_ entry: RegistryEntry) -> Outcome {
        let key = entry.key
        if key.kind.isPerNode, key.id != key.owner.rawValue {
            stats.rejectedNamespace += 1
            return .rejected(.namespace)
        }
        if let existing = entries[key] ?? quarantined[key], existing.version >= entry.version {
            stats.stale += 1
            return .stale
        }
        if key.kind == .node, let payload = entry.payload {
            guard let value = try? JSONParser.parse(payload) else {
                stats.rejectedMalformed += 1
                return .rejected(.malformed)
            }
            let credential: NodeCredential
            switch trust.admitNode(owner: key.owner, payload: value) {
            case .admitted(let admitted): credential = admitted
            case .rejected(let reason): return reject(reason)
            }
            guard verifier.verify(entry.signature, of: entry.signedBytes, publicKey: credential.signingKey) else {
                return reject(.badSignature)
            }
            let rekeying = credentials[key.owner].map { $0.signingKey != credential.signingKey } ?? false
            if rekeying, let current = credentials[key.owner], credential.issuedAt < current.issuedAt {
                return reject(.unknownKey)
            }
            guard verifier.learn(credential.signingKey, for: key.owner, replacing: !trust.pinsFirstKey) else {
                return reject(.unknownKey)
            }
            credentials[key.owner] = credential
        } else if verifier.knows(key.owner) {
            guard verifier.verify(entry.signature, of: entry.signedBytes, by: key.owner) else {
                return reject(.badSignature)
            }
            if let credential = credentials[key.owner], !credential.namespace.allows(kind: key.kind, id: key.id, value: entry.value) {
                quarantine(entry)
                return reject(.namespace)
            }
        } else {
            hold(entry)
            return .pending
        }
        store(entry)
        stats.applied += 1
        return .applied(RegistryChange(key: key, version: entry.version, action: entry.isTombstone ? .removed : .upserted))
    }

    private mutating func reject(_ reason: RejectReason) -> Outcome {
        switch reason {
        case .badSignature, .unknownKey: stats.rejectedSignature += 1
        case .namespace: stats.rejectedNamespace += 1
        case .malformed: stats.rejectedMalformed += 1
        }
        return .rejected(reason)
    }

    /// Keeps a disbelieved entry for anti-entropy (replacing an older version of it), if there
    /// is room; without room it is only dropped, and digests with holders of it keep differing.
    private mutating func quarantine(_ entry: RegistryEntry) {
        let size = entry.payload?.count ?? 0
        let old = quarantined[entry.key]
        guard old != nil || (quarantined.count < Self.maxQuarantined && quarantinedBytes + size <= Self.maxQuarantinedBytes) else { return }
        let keyHash = Self.keyHash(entry.key)
        if let old {
            digest.remove(keyHash: keyHash, itemHash: Self.itemHash(old.key, old.version))
            quarantinedBytes -= old.payload?.count ?? 0
        }
        quarantined[entry.key] = entry
        quarantinedBytes += size
        digest.insert(keyHash: keyHash, itemHash: Self.itemHash(entry.key, entry.version))
    }

    /// The copy of `key` this node replicates, believed or not (what anti-entropy serves).
    func replica(_ key: RegistryKey) -> RegistryEntry? { entries[key] ?? quarantined[key] }

    private mutating func hold(_ entry: RegistryEntry) {
        var held = pending[entry.key.owner, default: []]
        let before = held.count
        held.removeAll { $0.key == entry.key && $0.version <= entry.version }
        pendingTotal -= before - held.count
        if held.count >= Self.maxPendingPerOwner || pendingTotal >= Self.maxPendingTotal {
            stats.pendingDropped += 1  // anti-entropy brings it again once the key is known
            return
        }
        held.append(entry)
        pendingTotal += 1
        pending[entry.key.owner] = held
    }

    /// An entry claiming to be ours that we did not sign.
    mutating func countForgery() { stats.rejectedSignature += 1 }

    /// Stores an entry this node signed itself (no verification needed, key learned on first use).
    mutating func storeOwn(_ entry: RegistryEntry, publicKey: [UInt8]) {
        _ = verifier.learn(publicKey, for: entry.key.owner)
        store(entry)
    }

    private mutating func store(_ entry: RegistryEntry) {
        let keyHash = Self.keyHash(entry.key)
        if let old = entries[entry.key] {
            digest.remove(keyHash: keyHash, itemHash: Self.itemHash(old.key, old.version))
        }
        entries[entry.key] = entry
        keysByOwner[entry.key.owner, default: []].insert(entry.key)
        digest.insert(keyHash: keyHash, itemHash: Self.itemHash(entry.key, entry.version))
    }

    /// Forgets everything `owner` announced (it has been dead past the reclaim time).
    mutating func removeOwner(_ owner: NodeID) -> [RegistryChange] {
        for key in quarantined.keys where key.owner == owner {
            let old = quarantined.removeValue(forKey: key)!
            quarantinedBytes -= old.payload?.count ?? 0
            digest.remove(keyHash: Self.keyHash(key), itemHash: Self.itemHash(key, old.version))
        }
        let keys = (keysByOwner.removeValue(forKey: owner) ?? []).sorted()
        var changes: [RegistryChange] = []
        for key in keys {
            let old = entries.removeValue(forKey: key)!
            digest.remove(keyHash: Self.keyHash(key), itemHash: Self.itemHash(key, old.version))
            if !old.isTombstone { changes.append(RegistryChange(key: key, version: old.version, action: .removed)) }
        }
        return changes.sorted { $0.key < $1.key }
    }

    /// Version summaries of the entries that fall into `buckets` of `bucketCount`.
    func summaries(buckets: Set<Int>, bucketCount: Int) -> [EntrySummary] {
        (Array(entries.values) + Array(quarantined.values))
            .filter { buckets.contains(DigestLeaves.bucket(ofKeyHash: Self.keyHash($0.key), count: bucketCount)) }
            .map { EntrySummary(key: $0.key, version: $0.version) }
            .sorted { $0.key < $1.key }
    }

    static func signingKey(in payload: [UInt8]) -> [UInt8]? {
        guard let value = try? JSONParser.parse(payload), case .string(let hex)? = value["signing_key"] else { return nil }
        return Hex.decode(hex).flatMap { $0.count == 32 ? $0 : nil }
    }
}
