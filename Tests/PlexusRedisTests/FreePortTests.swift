import PlexusTestSupport
import Testing

/// Test servers' ports must not collide with each other or with the kernel's ephemeral ports
/// (CI once lost a redis-server to "Address already in use").
@Suite struct FreePortTests {
    @Test func portsAreDistinctBindableAndOutsideTheEphemeralRange() throws {
        let ports = try (0..<500).map { _ in try FreePort.next() }
        #expect(Set(ports).count == ports.count)
        let window = FreePort.portWindow()
        #expect(ports.allSatisfy { window.contains($0) })
        #expect(!window.overlaps(Self.ephemeralRange()))
    }

    static func ephemeralRange() -> ClosedRange<Int> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? "32768 60999"
        let numbers = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        return numbers[0]...numbers[1]
    }
}
