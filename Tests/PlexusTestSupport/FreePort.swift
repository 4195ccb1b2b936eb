#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Loopback ports for test servers.
///
/// Why not the kernel's pick for port 0: that comes from the ephemeral range, the same range the
/// kernel takes the local port of every outgoing connection from. With a hundred tests running at
/// once, a client socket (or another test's port-0 pick) can hold the port between the moment it
/// is chosen and the moment the server binds it, and the server dies with "Address already in
/// use" (it did, once, in CI). So ports come from outside the ephemeral range (`portWindow`), each handed out once
/// per test process, starting at an offset derived from the process id so that two test processes
/// rarely walk the same ports, and a port is only handed out when it can be bound right now.
public enum FreePort {
    private static let cursor = Mutex<Int?>(nil)

    /// A port outside the ephemeral range that nothing had bound a moment ago and that this
    /// process has not handed out before.
    public static func next() throws -> Int {
        let window = portWindow()
        let span = window.upperBound - window.lowerBound
        return try cursor.withLock { cursor in
            var offset = cursor ?? Int(getpid()) &* 7919 % span
            for _ in 0..<span {
                let port = window.lowerBound + offset % span
                offset += 1
                if canBind(port: port) {
                    cursor = offset
                    return port
                }
            }
            throw ServerProcess.Failure("no bindable loopback port in \(window)")
        }
    }

    /// The larger of the gaps beside the kernel's ephemeral range (`ip_local_port_range`):
    /// below it (above the well-known and commonly configured ports, from 10000) or above it.
    /// Never empty: with no room on either side (a range tuned to 1024–65535) it falls back to
    /// 20000–30000, where the old race returns but nothing traps.
    public static func portWindow() -> Range<Int> {
        var low = 32768, high = 60999
        if let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) {
            let numbers = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
            if numbers.count == 2, numbers[0] <= numbers[1] { (low, high) = (numbers[0], numbers[1]) }
        }
        let below = 10000..<max(10000, low)
        let above = min(65536, high + 1)..<65536
        let larger = below.count >= above.count ? below : above
        return larger.count >= 1024 ? larger : 20000..<30000
    }

    /// Whether 127.0.0.1:`port` can be bound at this moment (without SO_REUSEADDR, so a port
    /// with connections still in TIME_WAIT counts as taken).
    static func canBind(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
