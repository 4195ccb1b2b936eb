import NIOCore
import NIOPosix
import NIOSSL
import PlexusCore
import PlexusIdentity

/// Peer-link throughput over mutual TLS on loopback: how fast one link can carry bytes, and how
/// much of that is left once the bytes are Plexus frames that the receiver decodes.
///
/// Both sides use certificates issued by one `OrganisationCA`, TLS 1.3 only, mutual
/// authentication against that CA without host name checks, ALPN `plexus/1` — the settings of
/// `PlexusPeer`'s links. Client and server each run on their own one-thread event loop group, so
/// encryption and decryption get one core each on a 2-core machine.
struct TLSThroughputBench: Sendable {
    var duration: Duration = .seconds(5)
    var byteLimit = 1 << 30

    struct Result: Sendable {
        var name: String
        var bytes: Int
        var frames: Int?
        var seconds: Double

        var megabytesPerSecond: Double { Double(bytes) / 1e6 / seconds }
        var framesPerSecond: Double? { frames.map { Double($0) / seconds } }
    }

    static let cases: [(String, TLSThroughputPayload)] = [
        ("raw TLS, 64 KiB writes", .raw(chunkBytes: 64 * 1024)),
        ("PeerFrame ~4 KiB (syncUpdate, 4 entries × 1 KiB)", .frames(entries: 4, payloadBytes: 920)),
        ("PeerFrame ~64 KiB (syncUpdate, 64 entries × 1 KiB)", .frames(entries: 64, payloadBytes: 920)),
    ]

    func run() async throws -> [Result] {
        let ca = try OrganisationCA.create(organisation: "bench")
        let directory = try TempDirectory("tls")
        defer { directory.remove() }
        try ca.issue(node: "server", cluster: "c").write(to: directory.file("server"))
        try ca.issue(node: "client", cluster: "c").write(to: directory.file("client"))
        let server = try Self.context(identityDirectory: directory.file("server"), server: true)
        let client = try Self.context(identityDirectory: directory.file("client"), server: false)
        let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var results: [Result] = []
        do {
            for (name, payload) in Self.cases {
                let tally = try await measure(payload: payload, server: server, client: client, serverGroup: serverGroup, clientGroup: clientGroup)
                let isFrames = if case .frames = payload { true } else { false }
                results.append(Result(name: name, bytes: tally.bytes, frames: isFrames ? tally.frames : nil, seconds: tally.seconds))
            }
        } catch {
            try? await serverGroup.shutdownGracefully()
            try? await clientGroup.shutdownGracefully()
            throw error
        }
        try await serverGroup.shutdownGracefully()
        try await clientGroup.shutdownGracefully()
        return results
    }

    /// One connection: the server counts (and for frames decodes) until the client closes.
    private func measure(
        payload: TLSThroughputPayload, server: NIOSSLContext, client: NIOSSLContext,
        serverGroup: any EventLoopGroup, clientGroup: any EventLoopGroup
    ) async throws -> TLSCountHandler.Tally {
        let decodeFrames = if case .frames = payload { true } else { false }
        let duration = TimeAmount.nanoseconds(Int64(self.duration.seconds * 1e9))
        let byteLimit = self.byteLimit
        return try await TLSPairMeasurement.run(
            decodeFrames: decodeFrames,
            makeClient: { TLSBlastHandler(payload: payload, duration: duration, byteLimit: byteLimit, handshake: $0) },
            server: server, client: client, serverGroup: serverGroup, clientGroup: clientGroup,
            timeLimit: self.duration * 4 + .seconds(30), what: "TLS throughput transfer")
    }

    /// TLS 1.3 only, the node certificate and key, the CA as the only trust root, no host name
    /// check (a peer is identified by its certificate's organisation/cluster/node), ALPN plexus/1.
    /// Read from the files `NodeIdentity.write(to:)` made, as a node reads them.
    static func context(identityDirectory: String, server: Bool) throws -> NIOSSLContext {
        let files = NodeIdentity.files(in: identityDirectory)
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificate).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        let roots = try NIOSSLCertificate.fromPEMFile(files.ca)
        var configuration = server
            ? TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            : TLSConfiguration.makeClientConfiguration()
        if !server {
            configuration.certificateChain = chain
            configuration.privateKey = .privateKey(key)
        }
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates(roots)
        configuration.applicationProtocols = ["plexus/1"]
        return try NIOSSLContext(configuration: configuration)
    }
}
