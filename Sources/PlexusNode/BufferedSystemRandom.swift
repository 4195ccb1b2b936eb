#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's cryptographically secure random bytes, fetched 4 KiB at a time.
///
/// `SystemRandomNumberGenerator` makes one `getrandom` system call per 8 bytes, so two per new
/// message id (`MessageID.v7`): 1.7 % of an origin's CPU at 10,000 msgs/s. Here one `read` of
/// `/dev/urandom` (the kernel's generator, the one `getrandom` reads; Swift's Glibc module does
/// not export `getrandom` itself) fills the buffer; on Darwin, `arc4random_buf`. The ids stay as
/// hard to predict as before; the bytes not yet used sit in this process's memory, as any
/// CSPRNG's state does. Where `/dev/urandom` cannot be read (a sandbox without `/dev`), the
/// standard generator fills the buffer word by word.
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
        let filled = buffer.withUnsafeMutableBytes { Self.fill($0) }
        if !filled {
            var system = SystemRandomNumberGenerator()
            for i in buffer.indices { buffer[i] = system.next() }
        }
        used = 0
    }

    #if canImport(Darwin)
    private static func fill(_ bytes: UnsafeMutableRawBufferPointer) -> Bool {
        arc4random_buf(bytes.baseAddress!, bytes.count)
        return true
    }
    #else
    /// Opened once for the process; -1 if it cannot be.
    private static let urandom: Int32 = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

    private static func fill(_ bytes: UnsafeMutableRawBufferPointer) -> Bool {
        guard urandom >= 0 else { return false }
        var offset = 0
        while offset < bytes.count {
            let n = read(urandom, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 {
                offset += n
            } else if n < 0, errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }
    #endif
}
