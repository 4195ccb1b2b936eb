import Foundation
import NIOCore
import NIOSSL
import PlexusTestSupport
import Testing
@testable import PlexusNATS

extension NATSIntegrationTests {
    /// A server with `--tls` requires TLS in its INFO; the client upgrades after INFO, verifies
    /// the server against the CA it was given, and works as usual over TLS. The certificate is
    /// made for the test with the openssl tool (swift-certificates is not a dependency here).
    @Test
    func tlsRequiredByTheServer() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-nats-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("key.pem").path
        let certificate = directory.appendingPathComponent("cert.pem").path
        let openssl = try ChildProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", key, "-out", certificate,
        ])
        try #require(openssl.status == 0, "\(openssl.output)")

        let server = try await NATSServerProcess.start(["--tls", "--tlscert", certificate, "--tlskey", key])
        defer { server.stop() }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificate))
        let client = try await NATSClient.connected(to: server, echo: true) { $0.tls = tls }
        #expect(client.statistics.serverInfo?.tlsRequired == true)
        let subscription = try client.subscribe(subject: "secure")
        try client.publish(bytes("over tls"), subject: "secure")
        try await client.flush()
        #expect(try await next(1, from: subscription).map(\.payload.text) == ["over tls"])
        await client.close()

        // Without the CA the certificate does not verify, and connect says so.
        let untrusting = try NATSClient(configuration: try .init(url: server.url))
        let error = await #expect(throws: NATSClientError.self) {
            try await withTimeout(20, "TLS failure") { try await untrusting.connect() }
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.lowercased().contains("certificate") == true, "\(String(describing: error))")
    }

    @Test func tlsURLRefusesAPlainTextServer() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.stop() }
        let client = try NATSClient(configuration: try .init(url: "tls://127.0.0.1:\(server.port)"))
        let error = await #expect(throws: NATSClientError.self) {
            try await withTimeout(20, "refusal") { try await client.connect() }
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.contains("does not offer TLS") == true)
    }
}
