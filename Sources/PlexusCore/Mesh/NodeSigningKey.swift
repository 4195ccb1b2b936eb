import Crypto
import Synchronization

/// A node's Ed25519 identity for registry entries. Issue 4 binds it to the node's certificate;
/// the simulator derives it from the run's seed so runs replay.
public struct NodeSigningKey: Sendable {
    let key: Curve25519.Signing.PrivateKey

    /// From 32 bytes of seed material (an Ed25519 private key is a 32-byte seed).
    public init(seed: [UInt8]) throws {
        key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    /// A key drawn from `rng`; with a seeded generator the same key every run.
    public init(using rng: inout some RandomNumberGenerator) {
        var seed: [UInt8] = []
        for _ in 0..<4 {
            var v = rng.next()
            for _ in 0..<8 { seed.append(UInt8(truncatingIfNeeded: v)); v >>= 8 }
        }
        key = try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)  // 32 bytes is always valid
    }

    public var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }

    public func sign(_ message: [UInt8]) -> [UInt8] {
        // BoringSSL's Ed25519 is deterministic (RFC 8032), so signatures replay in the simulator.
        Array(try! key.signature(for: message))  // only fails on allocation failure
    }
}

/// Verifies entry signatures against the public keys the registry has learned.
struct SignatureVerifier: Sendable {
    private var keys: [NodeID: Curve25519.Signing.PublicKey] = [:]
    var cache: SignatureCache?

    func knows(_ owner: NodeID) -> Bool { keys[owner] != nil }

    func publicKey(of owner: NodeID) -> [UInt8]? { keys[owner].map { Array($0.rawRepresentation) } }

    /// Learns `owner`'s key unless a different one is already pinned (first key wins until the
    /// certificate binding of issue 4 replaces this trust-on-first-use).
    mutating func learn(_ raw: [UInt8], for owner: NodeID, replacing: Bool = false) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        if let existing = keys[owner], !replacing { return existing.rawRepresentation == key.rawRepresentation }
        keys[owner] = key
        return true
    }

    func verify(_ signature: [UInt8], of message: [UInt8], by owner: NodeID) -> Bool {
        guard let key = keys[owner] else { return false }
        return cached(signature, message, Array(key.rawRepresentation)) { key.isValidSignature(signature, for: message) }
    }

    func verify(_ signature: [UInt8], of message: [UInt8], publicKey raw: [UInt8]) -> Bool {
        cached(signature, message, raw) { Self.verify(signature, of: message, publicKey: raw) }
    }

    private func cached(_ signature: [UInt8], _ message: [UInt8], _ key: [UInt8], _ check: () -> Bool) -> Bool {
        guard let cache else { return check() }
        let cacheKey = key + signature + message
        if cache.contains(cacheKey) { return true }
        guard check() else { return false }
        cache.insert(cacheKey)
        return true
    }

    static func verify(_ signature: [UInt8], of message: [UInt8], publicKey raw: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

extension RegistryEntry {
    /// The bytes a signature covers: a domain tag, the key, the version and the payload.
    public static func signedBytes(key: RegistryKey, version: EntryVersion, payload: [UInt8]?) -> [UInt8] {
        var w = ByteWriter(capacity: 64 + (payload?.count ?? 0))
        w.raw(Array("plexus-entry-v1".utf8))
        w.string(key.owner.rawValue)
        w.u8(key.kind.rawValue)
        w.string(key.id)
        w.u64(version.generation)
        w.u64(version.counter)
        if let payload {
            w.u8(1)
            w.blob(payload)
        } else {
            w.u8(0)
        }
        return w.bytes
    }

    /// A new entry signed by `signer`.
    public static func signed(key: RegistryKey, version: EntryVersion, payload: [UInt8]?, by signer: NodeSigningKey) -> RegistryEntry {
        let signature = signer.sign(signedBytes(key: key, version: version, payload: payload))
        return RegistryEntry(key: key, version: version, payload: payload, signature: signature)
    }

    var signedBytes: [UInt8] { Self.signedBytes(key: key, version: version, payload: payload) }
}

/// Remembers signatures already found valid, for the simulator, where a thousand simulated nodes
/// verify the same entries a thousand times. Verification is a pure function of (key, message,
/// signature), so answering from this cache changes no outcome; only successes are stored, and
/// the key is the exact bytes, so nothing unverified can slip through. A real node passes none.
public final class SignatureCache: Sendable {
    private let verified = Mutex<Set<[UInt8]>>([])

    public init() {}

    func contains(_ key: [UInt8]) -> Bool { verified.withLock { $0.contains(key) } }

    func insert(_ key: [UInt8]) { _ = verified.withLock { $0.insert(key) } }
}
