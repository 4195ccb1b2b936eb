import PlexusCore
import Testing

struct AddressGuardTests {
    let guardian = AddressGuard()

    func refusal(_ url: String, _ guardian: AddressGuard = AddressGuard()) -> AddressGuardRefusal? {
        do {
            _ = try guardian.check(url: url)
            return nil
        } catch {
            return error
        }
    }

    // RELIABILITY S4, one URL per listed address and spelling.
    @Test(arguments: [
        ("http://127.0.0.1/hook", OutboundAddressClass.loopback),
        ("http://169.254.169.254/latest/meta-data/", .cloudMetadata),
        ("http://10.1.2.3/", .privateUse),
        ("http://172.16.0.1/", .privateUse),
        ("http://172.31.255.255/", .privateUse),
        ("http://192.168.1.1/", .privateUse),
        ("http://[::1]/", .loopback),
        ("http://[fc00::1]/", .privateUse),
        ("http://[fd12:3456::1]/", .privateUse),
        ("http://[::ffff:127.0.0.1]/", .loopback),
        ("http://[::ffff:7f00:1]/", .loopback),
        ("http://[::ffff:a9fe:a9fe]/", .cloudMetadata),
        ("http://2130706433/", .loopback),
        ("http://0x7f000001/", .loopback),
        ("http://0x7f.1/", .loopback),
        ("http://0177.0.0.1/", .loopback),
        ("http://127.1/", .loopback),
        ("http://127.0.0.1./", .loopback),
        ("http://100.64.0.1/", .sharedCGNAT),
        ("http://100.100.100.200/", .cloudMetadata),
        ("http://[fe80::1]/", .linkLocal),
        ("http://[fd00:ec2::254]/", .cloudMetadata),
        ("http://0.0.0.0/", .unspecified),
        ("http://[::]/", .unspecified),
        ("http://224.0.0.1/", .multicast),
        ("http://[ff02::1]/", .multicast),
        ("http://255.255.255.255/", .broadcast),
        ("http://240.0.0.1/", .reserved),
        ("http://198.18.0.1/", .benchmarking),
        ("http://192.0.0.8/", .ietfProtocol),
        ("http://192.0.2.1/", .documentation),
        ("http://[2001:db8::1]/", .documentation),
        ("http://[64:ff9b::7f00:1]/", .loopback),
        ("http://[64:ff9b::a00:1]/", .privateUse),
        ("http://[2002:7f00:1::]/", .loopback),
        ("http://[2002:a9fe:a9fe::1]/", .cloudMetadata),
        ("http://[::127.0.0.1]/", .loopback),
        ("http://[2001:0:4136:e378::1]/", .teredo),
        ("https://[fec0::1]:8443/", .siteLocal),
    ])
    func refusesInternalAddresses(url: String, expected: OutboundAddressClass) {
        let refused = refusal(url)
        #expect(refused?.code == .refusedAddress, "\(url)")
        #expect(refused?.addressClass == expected, "\(url): \(refused?.message ?? "allowed")")
    }

    @Test func refusalsNameTheAddressAndItsClass() {
        #expect(refusal("http://169.254.169.254/")?.message == "169.254.169.254 is a link-local / cloud metadata address")
        #expect(refusal("http://2130706433/")?.message == "2130706433 is the IPv4 address 127.0.0.1, which is a loopback address")
        #expect(refusal("http://[::ffff:7f00:1]/")?.message == "::ffff:7f00:1 (::ffff:127.0.0.1) is an IPv4-mapped form of 127.0.0.1, a loopback address")
        #expect(refusal("http://10.0.0.1/")?.message == "10.0.0.1 is a private-use address")
    }

    @Test func refusesOtherSchemesUserinfoAndLocalhostNames() {
        #expect(refusal("file:///etc/passwd")?.code == .unsupportedScheme)
        #expect(refusal("gopher://example.com/")?.code == .unsupportedScheme)
        #expect(refusal("ftp://example.com/")?.code == .unsupportedScheme)
        #expect(refusal("FILE:/etc/passwd")?.code == .unsupportedScheme)
        #expect(refusal("https://user:pw@example.com/")?.code == .userinfo)
        #expect(refusal("https://example.com@127.0.0.1/")?.code == .userinfo)
        #expect(refusal("http://localhost/")?.code == .refusedName)
        #expect(refusal("http://LOCALHOST:8080/")?.code == .refusedName)
        #expect(refusal("http://localhost./")?.code == .refusedName)
        #expect(refusal("http://api.localhost/")?.code == .refusedName)
        #expect(refusal("http:///path")?.code == .missingHost)
        #expect(refusal("http://")?.code == .missingHost)
        #expect(refusal("example.com/hook")?.code == .invalidURL)
        #expect(refusal("http://example.com\\@127.0.0.1/")?.code == .invalidURL)
        #expect(refusal("http://exa mple.com/")?.code == .invalidURL)
        #expect(refusal("http://ex%61mple.com/")?.code == .invalidURL)
        #expect(refusal("http://１２７.０.０.１/")?.code == .invalidURL)
        #expect(refusal("http://256.0.0.1/")?.code == .invalidURL)
        #expect(refusal("http://1.2.3.4.5/")?.code == .invalidURL)
        #expect(refusal("http://example.com:0/")?.code == .invalidURL)
        #expect(refusal("http://example.com:65536/")?.code == .invalidURL)
        #expect(refusal("http://[fe80::1%25eth0]/")?.code == .invalidURL)
        #expect(refusal("http://::1/")?.code == .invalidURL)
    }

    @Test func allowsPublicAddressesAndNames() throws {
        let v4 = try guardian.check(url: "http://93.184.216.34/hook?x=1#frag")
        #expect(v4.literalAddress == .v4(0x5DB8_D822))
        #expect(v4.requestTarget == "/hook?x=1")
        #expect(v4.port == 80)
        let v6 = try guardian.check(url: "https://[2606:4700::1]:8443")
        #expect(v6.literalAddress?.description == "2606:4700::1")
        #expect(v6.hostHeader == "[2606:4700::1]:8443")
        #expect(v6.requestTarget == "/")
        let name = try guardian.check(url: "HTTPS://Hooks.Example.COM./in")
        #expect(name.scheme == .https)
        #expect(name.host == "hooks.example.com")
        #expect(name.literalAddress == nil)
        #expect(name.port == 443)
        #expect(name.hostHeader == "hooks.example.com")
        // Public IPv4 behind a mapped or NAT64 prefix is judged as that IPv4 address.
        #expect(refusal("http://[::ffff:93.184.216.34]/") == nil)
        #expect(refusal("http://[64:ff9b::5db8:d822]/") == nil)
        #expect(refusal("http://1.1.1.1/") == nil)
        #expect(refusal("http://[2a00:1450:4001::1]/") == nil)
    }

    @Test func resolvedAddressesAreCheckedToo() throws {
        let target = try guardian.check(url: "https://hooks.example.com/in")
        let publicOnes = [OutboundAddress("93.184.216.34")!, OutboundAddress("2606:4700::1")!]
        #expect(try guardian.check(resolved: publicOnes, for: target) == publicOnes)
        do {
            _ = try guardian.check(resolved: [OutboundAddress("93.184.216.34")!, OutboundAddress("169.254.169.254")!], for: target)
            Issue.record("a name resolving to the metadata address was allowed")
        } catch {
            #expect(error.code == .refusedAddress)
            #expect(error.message == "hooks.example.com resolves to 169.254.169.254, which is a link-local / cloud metadata address")
        }
        #expect(throws: AddressGuardRefusal.self) { try guardian.check(resolved: [], for: target) }
        #expect(throws: AddressGuardRefusal.self) {
            try guardian.check(resolved: [OutboundAddress(bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1])!], for: target)
        }
    }

    @Test func allowlistLetsNamedAddressesThrough() throws {
        let allowing = AddressGuard(allowlist: try AddressGuardAllowlist(parsing: ["127.0.0.1", "10.20.0.0/16", "hooks.internal", "*.svc.cluster"]))
        let loopback = try allowing.check(url: "http://127.0.0.1:8080/hook")
        #expect(loopback.literalAddress == OutboundAddress("127.0.0.1"))
        #expect(refusal("http://127.0.0.2/", allowing)?.code == .refusedAddress)
        #expect(refusal("http://10.20.3.4/", allowing) == nil)
        #expect(refusal("http://10.21.0.1/", allowing)?.code == .refusedAddress)
        let named = try allowing.check(url: "http://hooks.internal/")
        #expect(try allowing.check(resolved: [OutboundAddress("10.9.9.9")!], for: named).count == 1)
        let below = try allowing.check(url: "http://a.b.svc.cluster/")
        #expect(try allowing.check(resolved: [OutboundAddress("192.168.0.10")!], for: below).count == 1)
        let other = try allowing.check(url: "http://other.internal/")
        #expect(throws: AddressGuardRefusal.self) { try allowing.check(resolved: [OutboundAddress("10.9.9.9")!], for: other) }
        #expect(throws: PlexusError.self) { try AddressGuardAllowlist(parsing: ["10.0.0.0/33"]) }
        #expect(throws: PlexusError.self) { try AddressGuardAllowlist(parsing: ["bad host!"]) }
    }

    @Test func addressTextRoundTripsCanonically() {
        #expect(OutboundAddress("2001:0db8:0000:0000:0000:0000:0000:0001")?.description == "2001:db8::1")
        #expect(OutboundAddress("2001:db8:0:1:0:0:0:1")?.description == "2001:db8:0:1::1")
        #expect(OutboundAddress("::")?.description == "::")
        #expect(OutboundAddress("1::")?.description == "1::")
        #expect(OutboundAddress("::ffff:7f00:1")?.description == "::ffff:127.0.0.1")
        #expect(OutboundAddress("01.2.3.4") == nil)
        #expect(OutboundAddress("1:2:3:4:5:6:7:8:9") == nil)
        #expect(OutboundAddress("1::2::3") == nil)
        #expect(OutboundAddress.readHost("0x7f.1") == .address(.v4(0x7F00_0001)))
        #expect(OutboundAddress.readHost("0177.0.0.1") == .address(.v4(0x7F00_0001)))
        #expect(OutboundAddress.readHost("2130706433") == .address(.v4(0x7F00_0001)))
        #expect(OutboundAddress.readHost("example.com") == .name)
        #expect(OutboundAddress.readHost("1.2.3.09") == .invalid)
        #expect(OutboundAddress.readHost("4294967296") == .invalid)
        #expect(OutboundAddress(bytes: [93, 184, 216, 34])?.bytes == [93, 184, 216, 34])
    }
}
