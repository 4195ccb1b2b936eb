import Foundation

/// A message's `message_uuid`: the idempotency key everywhere in the mesh.
///
/// Stored as 16 bytes; written lower-case. New ids are UUIDv7 (RFC 9562): 48 bits of Unix
/// milliseconds then random bits, so ids sort roughly by creation time and index well. The time
/// and the random source are inputs, so a simulation with a seed produces the same ids.
public struct MessageID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let uuid: UUID

    public init(_ uuid: UUID) { self.uuid = uuid }

    /// Accepts the canonical 8-4-4-4-12 hex form in either case, nothing else. Parsed directly:
    /// Foundation's parser copies the string and runs `sscanf` — 4 % of a relay's CPU, as every
    /// forwarded envelope and every agent's ack carries an id — and on Linux `sscanf` also took
    /// a space or a sign inside a group.
    public init?(string: some StringProtocol) {
        let parsed = string.utf8.withContiguousStorageIfAvailable { MessageID(utf8: UnsafeRawBufferPointer($0)) }
            ?? Array(string.utf8).withUnsafeBytes { MessageID(utf8: $0) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// The canonical form's UTF-8 bytes (an id read straight out of a frame, no String made).
    /// Not generic: called from other modules, a generic parse would run unspecialised, through
    /// witness tables for every byte (it showed as 5 % of a relay's CPU in agents' acks).
    public init?(utf8: UnsafeRawBufferPointer) {
        guard utf8.count == 36 else { return nil }
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let valid = withUnsafeMutableBytes(of: &raw) { out -> Bool in
            var position = 0, byte = 0
            var high: UInt8?
            for c in utf8 {
                defer { position += 1 }
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard c == UInt8(ascii: "-") else { return false }
                    continue
                }
                guard let value = Hex.value(of: c) else { return false }
                if let h = high {
                    out[byte] = h << 4 | value
                    byte += 1
                    high = nil
                } else {
                    high = value
                }
            }
            return true
        }
        guard valid else { return nil }
        self.uuid = UUID(uuid: raw)
    }

    /// A new UUIDv7 for `now`, random bits drawn from `rng`.
    public static func v7(now: Timestamp, rng: inout some RandomNumberGenerator) -> MessageID {
        let ms = UInt64(max(0, now.milliseconds)) & 0xFFFF_FFFF_FFFF
        let a = rng.next() as UInt64
        let b = rng.next() as UInt64
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - i))) }
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: a & 0x0F)
        bytes[7] = UInt8(truncatingIfNeeded: a >> 8)
        bytes[8] = 0x80 | UInt8(truncatingIfNeeded: b & 0x3F)
        for i in 9..<16 { bytes[i] = UInt8(truncatingIfNeeded: b >> (8 * (i - 8))) }
        let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return MessageID(uuid)
    }

    /// Lower-case 8-4-4-4-12 hex, written directly: Foundation's `uuidString` goes through
    /// `sprintf` and `lowercased()` allocates again, and every logged, served and forwarded
    /// message formats its id (it showed in the ingest profile).
    public var description: String {
        withUnsafeBytes(of: uuid.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var j = 0
                for i in 0..<16 {
                    if i == 4 || i == 6 || i == 8 || i == 10 {
                        out[j] = UInt8(ascii: "-")
                        j += 1
                    }
                    out[j] = Hex.digit(bytes[i] >> 4)
                    out[j + 1] = Hex.digit(bytes[i] & 0x0F)
                    j += 2
                }
                return j
            }
        }
    }

    /// The 16 bytes as two words, for hashing and equality: UUID's own `hash(into:)` feeds the
    /// hasher byte-buffer-wise, and the routing core hashes an id a dozen times per message
    /// (its held messages, de-duplication memory and queues are all keyed by it).
    private var words: (UInt64, UInt64) {
        withUnsafeBytes(of: uuid.uuid) { ($0.loadUnaligned(as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
    }

    public func hash(into hasher: inout Hasher) {
        let (a, b) = words
        hasher.combine(a)
        hasher.combine(b)
    }

    public static func == (lhs: MessageID, rhs: MessageID) -> Bool {
        lhs.words == rhs.words
    }

    public static func < (lhs: MessageID, rhs: MessageID) -> Bool {
        withUnsafeBytes(of: lhs.uuid.uuid) { l in
            withUnsafeBytes(of: rhs.uuid.uuid) { r in l.lexicographicallyPrecedes(r) }
        }
    }
}
