import Foundation
import NIOCore
import PlexusCore

#if canImport(Glibc)
import Glibc
#endif

/// The messages of `plexus-bench routing` and the few bytes the receiving agent reads back out
/// of each delivered envelope.
///
/// Every message's `data` is a JSON object of exactly `payloadBytes` bytes once serialised:
/// `{"bench_seq":N,"bench_t":T,"bench_w":W,"pad":"xxx…"}`, where `bench_t` is the send time on
/// the monotonic clock (`NIODeadline.now().uptimeNanoseconds`, the clock the receiver reads
/// too, in the same process) and `bench_w` the wall clock in microseconds (to compare with the
/// nodes' `origin_ts` and `hops[].ts`, which are wall-clock). Throughput messages are all alike
/// (seq 0, no times): the node gives each its own `message_uuid`.
struct RoutingMessage: Sendable {
    var payloadBytes: Int
    var topic = "bench.route"
    var source = "bench-loader"

    /// Monotonic nanoseconds, the clock of every latency figure.
    static func monotonicNow() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    /// Wall clock, microseconds since the epoch (the nodes' timestamps are in this clock).
    static func wallMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }

    /// The `data` object's bytes, padded to `payloadBytes` (never shorter than its fields).
    func data(seq: Int, monotonic: UInt64?, wall: Int64?) -> String {
        var head = "{\"bench_seq\":\(seq)"
        if let monotonic { head += ",\"bench_t\":\(monotonic)" }
        if let wall { head += ",\"bench_w\":\(wall)" }
        head += ",\"pad\":\""
        let tail = "\"}"
        let pad = max(0, payloadBytes - head.utf8.count - tail.utf8.count)
        return head + String(repeating: "x", count: pad) + tail
    }

    /// One ingest object (`POST /v1/messages` or one element of a WebSocket batch).
    func input(to subject: String, seq: Int, monotonic: UInt64? = nil, wall: Int64? = nil) -> String {
        "{\"topic\":\"\(topic)\",\"source_subject_id\":\"\(source)\",\"destination_subject_ids\":[\"\(subject)\"],\"data\":"
            + data(seq: seq, monotonic: monotonic, wall: wall) + "}"
    }

    /// A batch body: a JSON array of `count` alike messages (one object when `count` is 1).
    func batch(to subject: String, count: Int) -> ByteBuffer {
        let one = input(to: subject, seq: 0)
        if count == 1 { return ByteBuffer(string: one) }
        return ByteBuffer(string: "[" + Array(repeating: one, count: count).joined(separator: ",") + "]")
    }

    // MARK: - Reading delivered envelopes

    static let uuidKey = Array("\"message_uuid\":\"".utf8)
    static let seqKey = Array("\"bench_seq\":".utf8)
    static let monotonicKey = Array("\"bench_t\":".utf8)
    static let okKey = Array("\"ok\"".utf8)

    /// The 36 bytes of the envelope's `message_uuid` (the node writes the key first, but the
    /// search does not rely on it).
    static func uuid(in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let at = find(uuidKey, in: bytes), at + uuidKey.count + 36 <= bytes.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[(at + uuidKey.count)..<(at + uuidKey.count + 36)])
    }

    /// The unsigned integer after `key`, or nil.
    static func integer(after key: [UInt8], in bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard let at = find(key, in: bytes) else { return nil }
        var i = at + key.count
        var value: UInt64 = 0
        var digits = 0
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57, digits < 20 {
            value = value &* 10 &+ UInt64(bytes[i] - 48)
            i += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// Offset of `needle` in `bytes`: a plain scan (frames are hundreds of bytes, searched a few
    /// times each; Glibc's memmem is not visible to Swift without _GNU_SOURCE).
    static func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
        let n = needle.count
        guard n > 0, bytes.count >= n else { return nil }
        let first = needle[0]
        var i = 0
        let last = bytes.count - n
        outer: while i <= last {
            if bytes[i] == first {
                for k in 1..<n where bytes[i + k] != needle[k] {
                    i += 1
                    continue outer
                }
                return i
            }
            i += 1
        }
        return nil
    }
}
