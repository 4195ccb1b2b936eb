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
        var buffer = ByteBuffer()
        writeData(seq: seq, monotonic: monotonic, wall: wall, into: &buffer)
        return String(buffer: buffer)
    }

    /// One ingest object (`POST /v1/messages` or one element of a WebSocket batch).
    func input(to subject: String, seq: Int, monotonic: UInt64? = nil, wall: Int64? = nil) -> String {
        var buffer = ByteBuffer()
        writeInput(to: subject, seq: seq, monotonic: monotonic, wall: wall, into: &buffer)
        return String(buffer: buffer)
    }

    /// `input(to:...)`, written straight into `buffer`: the paced publisher makes one per
    /// message, and building it as a String (the padding made anew each time) was 21 % of the
    /// load process's samples in a profile at 10,000 msgs/s — CPU taken from the nodes it
    /// measures, on the same two cores.
    func writeInput(to subject: String, seq: Int, monotonic: UInt64? = nil, wall: Int64? = nil, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"topic\":\"")
        buffer.writeString(topic)
        buffer.writeStaticString("\",\"source_subject_id\":\"")
        buffer.writeString(source)
        buffer.writeStaticString("\",\"destination_subject_ids\":[\"")
        buffer.writeString(subject)
        buffer.writeStaticString("\"],\"data\":")
        writeData(seq: seq, monotonic: monotonic, wall: wall, into: &buffer)
        buffer.writeStaticString("}")
    }

    private func writeData(seq: Int, monotonic: UInt64?, wall: Int64?, into buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        buffer.writeStaticString("{\"bench_seq\":")
        Self.writeDecimal(UInt64(max(0, seq)), into: &buffer)
        if let monotonic {
            buffer.writeStaticString(",\"bench_t\":")
            Self.writeDecimal(monotonic, into: &buffer)
        }
        if let wall {
            buffer.writeStaticString(",\"bench_w\":")
            Self.writeDecimal(UInt64(max(0, wall)), into: &buffer)
        }
        buffer.writeStaticString(",\"pad\":\"")
        let tail = 2  // "}
        buffer.writeRepeatingByte(UInt8(ascii: "x"), count: max(0, payloadBytes - (buffer.writerIndex - start) - tail))
        buffer.writeStaticString("\"}")
    }

    private static func writeDecimal(_ value: UInt64, into buffer: inout ByteBuffer) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for UInt64.max's 20
        withUnsafeMutableBytes(of: &digits) { out in
            var v = value, i = out.count
            repeat {
                i -= 1
                out[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v > 0
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: out[i...]))
        }
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
