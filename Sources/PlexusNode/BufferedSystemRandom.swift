#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's cryptographically secure random bytes, fetched 4 KiB at a time.
///
/// `SystemRandomNumberGenerator` makes one `getrandom` system call per 8 bytes, so two per new
/// message id (`MessageID.v7`): 1.7 % of an origin's CPU at 10,000 msgs/s. `arc4random_buf`
/// fills the whole buffer with one call from the same kernel source. The ids stay as hard to
/// predict as before; the bytes not yet used sit in this process's memory, as any CSPRNG's
/// state does.
struct BufferedSystemRandom: RandomNumberGenerator, Sendable {
    static let words = 512
    private var buffer: [UInt64] = []
    private var used = 0

    mutating func next() -> UInt64 {
        if used == buffer.count { refill() }
        defer { used += 1 }
        return buffer[used]
    }

    private mutating func refill() {
        if buffer.isEmpty { buffer = Array(repeating: 0, count: Self.words) }
        buffer.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
        used = 0
    }
}
