#if canImport(Glibc)
import Glibc
#endif

/// A free loopback port for processes that must be told their port up front (Serf agents; Plexus
/// nodes take port 0 and report theirs). The kernel picks it by binding port 0; the socket is
/// closed before the child binds, so another process could take it in between — unlikely within
/// milliseconds, and the child then fails loudly at start.
enum FreePort {
    /// `udpToo`: the port must also be free for UDP (Serf's bind port carries both).
    static func pick(udpToo: Bool, avoiding used: Set<Int>) throws(BenchError) -> Int {
        for _ in 0..<50 {
            guard let port = bindEphemeral(), !used.contains(port) else { continue }
            if !udpToo || canBind(port: port, type: Int32(SOCK_DGRAM.rawValue)) { return port }
        }
        throw BenchError("no free loopback port found in 50 tries")
    }

    private static func bindEphemeral() -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func canBind(port: Int, type: Int32) -> Bool {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
