import Crypto
import Foundation
import PlexusCore

/// Derives the `message_uuid` of a queue item that has none from its stamp: a UUIDv7 whose time
/// is the stamp's and whose random bits come from an HMAC of (node, list, seq) under a key
/// kept in the node's data directory.
///
/// Deterministic, so a re-processed item gets the same id; keyed, so nobody who can guess the
/// node's name and counter can pre-claim the id of someone else's next item (a message with a
/// claimed id would be dropped as a duplicate).
public struct FallbackMessageIDs: Sendable {
    let key: SymmetricKey

    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    /// Reads the key from `path`, creating it (32 random bytes, mode 0600) on first use.
    public static func load(path: String) throws -> FallbackMessageIDs {
        if let data = FileManager.default.contents(atPath: path) {
            // A new key would give re-processed items new ids, and the log would keep them twice.
            guard data.count == 32 else {
                throw EdgeError(.io, "the edge id key \(path) has \(data.count) bytes, not 32; restore it from a backup (or remove it if no item is waiting in a processing list)")
            }
            return FallbackMessageIDs(key: Array(data))
        }
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw EdgeError(.io, "cannot write the edge id key \(path)")
        }
        return FallbackMessageIDs(key: bytes)
    }

    public func id(node: String, list: String, stamp: QueueStamp) -> MessageID {
        let input = Array("\(node)\u{0}\(list)\u{0}\(stamp.seq)".utf8)
        let mac = Array(HMAC<SHA256>.authenticationCode(for: input, using: key))
        let seed = mac.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var rng = SplitMix64(seed: seed)
        return .v7(now: Timestamp(microseconds: stamp.milliseconds * 1_000), rng: &rng)
    }
}
