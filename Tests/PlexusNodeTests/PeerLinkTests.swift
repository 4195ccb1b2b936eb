import Foundation
import PlexusCore
import PlexusIdentity
import PlexusNode
import Testing

/// Peer links of real in-process nodes over real TLS: the handshake's trust and ALPN rules and
/// RELIABILITY B7 (bad frames close the link with a logged reason; the node keeps running).
@Suite struct PeerLinkTests {
    /// A node of organisation `acme`, and a second acme identity to talk to it with.
    func acmeNode() async throws -> (TestNode, MeshTestCA, NodeIdentity) {
        let ca = try MeshTestCA(organisation: "acme")
        var config = NodeConfiguration()
        try ca.configure(&config, node: "n1")
        let node = try await TestNode.start { c in
            c.identity = config.identity
        }
        return (node, ca, try ca.issue(node: "probe"))
    }

    func transport(_ node: TestNode, _ counter: String) async throws -> Int64 {
        try await HTTP.get(node.base + "/v1/mesh").json?["transport"]?[counter]?.integerValue ?? -1
    }

    /// The frames a node sent back, and the reason in its goodbye.
    func decode(_ bytes: [UInt8]) -> (frames: [PeerFrame], goodbye: String?) {
        var decoder = PeerFrameDecoder()
        decoder.feed(bytes)
        var frames: [PeerFrame] = []
        while let frame = try? decoder.next() { frames.append(frame) }
        let reason = frames.compactMap { if case .goodbye(let r) = $0 { r } else { nil } }.first
        return (frames, reason)
    }

    static let badStreams: [(name: String, bytes: [UInt8], closeOutput: Bool, reason: String)] = [
        ("garbage", Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), false, "version"),
        ("wrong version", [0, 0, 0, 1, 7, 0x41], false, "version 7 is not supported"),
        ("oversized", [0xFF, 0xFF, 0xFF, 0xF0, 1], false, "exceeds"),
        ("unknown tag", [0, 0, 0, 1, 1, 0x99], false, "unknown frame tag 0x99"),
        ("mesh before hello", PeerFrame.mesh(.nack(seq: 1)).encoded(), false, "before hello"),
        ("truncated", [0, 0, 0, 9, 1, 0x41, 1], true, ""),
    ]

    @Test(arguments: 0..<badStreams.count)
    func badFramesCloseTheLinkAndTheNodeCarriesOn(_ index: Int) async throws {
        let bad = Self.badStreams[index]
        let (node, ca, probe) = try await acmeNode()
        defer { Task { try await node.stop() } }
        let before = try await transport(node, "protocol_errors")
        let outcome = try await PeerTestClient.exchange(port: node.meshPort, identity: probe, ca: ca.caFile, payload: bad.bytes,
                                                        closeOutput: bad.closeOutput)
        #expect(outcome.handshook, "\(bad.name)")
        let (frames, goodbye) = decode(outcome.received)
        // The node introduced itself, then (for errors it can still report) said why it closed.
        if case .hello(let hello)? = frames.first { #expect(hello.node == "acme/c/n1") } else { Issue.record("\(bad.name): no hello first") }
        if !bad.reason.isEmpty {
            #expect(goodbye?.contains(bad.reason) == true, "\(bad.name): goodbye was \(goodbye ?? "missing")")
        }
        // Counted, and the node is still serving.
        try await eventually("\(bad.name) counted") { try await transport(node, "protocol_errors") > before }
        #expect(try await HTTP.get(node.base + "/healthz").status == 200)
    }

    @Test func certificateFromAnUntrustedCAIsRefusedAtHandshake() async throws {
        let (node, _, _) = try await acmeNode()
        defer { Task { try await node.stop() } }
        let mallory = try MeshTestCA(organisation: "mallory")
        let stranger = try mallory.issue(node: "m1")
        // The stranger trusts only its own CA; acme's node must refuse the stranger's certificate
        // (the handshake fails on both sides, and the node counts it).
        let hello = PeerFrame.hello(PeerHello(node: stranger.nodeID, address: "127.0.0.1:1", generation: 1)).encoded()
        let outcome = try await PeerTestClient.exchange(port: node.meshPort, identity: stranger, ca: mallory.caFile, payload: hello)
        #expect(!outcome.handshook || outcome.received.isEmpty)
        try await eventually("handshake refusal counted") { try await transport(node, "handshakes_refused") >= 1 }
        let members = try await HTTP.get(node.base + "/v1/mesh").json?["members"]?.arrayValue ?? []
        #expect(members.isEmpty)
    }

    @Test func peerWithoutTheALPNProtocolIsRefused() async throws {
        let (node, ca, probe) = try await acmeNode()
        defer { Task { try await node.stop() } }
        _ = try await PeerTestClient.exchange(port: node.meshPort, identity: probe, ca: ca.caFile, alpn: ["h2"], payload: [])
        try await eventually("ALPN refusal counted") { try await transport(node, "handshakes_refused") >= 1 }
    }

    @Test func helloMustNameTheCertificatesNode() async throws {
        let (node, ca, probe) = try await acmeNode()
        defer { Task { try await node.stop() } }
        let lie = PeerFrame.hello(PeerHello(node: "acme/c/someone-else", address: "127.0.0.1:1", generation: 1)).encoded()
        let outcome = try await PeerTestClient.exchange(port: node.meshPort, identity: probe, ca: ca.caFile, payload: lie)
        #expect(decode(outcome.received).goodbye?.contains("certificate is \(probe.nodeID)") == true)
    }
}

/// Polls `condition` every 100 ms for up to `seconds`; records an issue if it never holds.
func eventually(_ what: String, seconds: Double = 20, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out waiting for: \(what)")
}
