import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import PlexusCore
import PlexusIdentity
import PlexusStore

/// The raw limit beside the forwarding figure: what one mutual-TLS peer link carries with no
/// routing, no log and no acks — the settings of `TLSThroughputBench` (TLS 1.3, the node
/// certificates of one CA, ALPN `plexus/1`, one event-loop thread per side, its blast and count
/// handlers), with message-sized writes instead of its 4 KiB and 64 KiB frames:
///
/// - raw TLS in writes of `rawChunkBytes` (~400 B, a forwarded message's size), flushed every 64 KiB;
/// - `PeerFrame.data` frames carrying a real envelope of the benchmark's messages, each encoded
///   on its own (`PeerFrame.encoded()`, as the driver encodes every frame) and fully decoded on
///   the far side (`PeerFrameDecoder`, as the link decodes).
struct RoutingLinkBench: Sendable {
    var duration: Duration = .seconds(5)
    var rawChunkBytes = 400
    /// The envelope bytes a data frame carries.
    var envelope: [UInt8]

    struct Result: Sendable {
        var name: String
        var bytes: Int
        var frames: Int
        var seconds: Double

        var framesPerSecond: Double { seconds > 0 ? Double(frames) / seconds : 0 }
        var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / 1e6 / seconds : 0 }
    }

    /// The envelope a node logs and forwards for one benchmark message (its wire JSON after the
    /// origin's ingest), and the size of the whole data frame around it.
    static func sampleEnvelope(message: RoutingMessage, subject: String) throws -> [UInt8] {
        LogRecord(envelope: try message.sampleEnvelope(to: subject, seq: 123_456)).json
    }

    func run() async throws -> [Result] {
        let ca = try OrganisationCA.create(organisation: "bench")
        let directory = try TempDirectory("routing-tls")
        defer { directory.remove() }
        try ca.issue(node: "server", cluster: "c").write(to: directory.file("server"))
        try ca.issue(node: "client", cluster: "c").write(to: directory.file("client"))
        let server = try TLSThroughputBench.context(identityDirectory: directory.file("server"), server: true)
        let client = try TLSThroughputBench.context(identityDirectory: directory.file("client"), server: false)
        let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var rng = SplitMix64(seed: 7)
        let frameBytes = PeerFrame.data(DataFrame(id: .v7(now: Timestamp(microseconds: 0), rng: &rng), transmission: 1, hopCount: 1,
                                                  targets: [NodeID(RoutingCluster.id("n2"))], payload: envelope)).encoded().count
        let timeAmount = TimeAmount.nanoseconds(Int64(duration.seconds * 1e9))
        let rawChunk = rawChunkBytes
        let envelope = self.envelope
        let cases: [(String, Bool, @Sendable (EventLoopPromise<String?>) -> any ChannelHandler)] = [
            ("raw TLS, \(rawChunk)-byte writes (flushed every 64 KiB)", false, { handshake in
                TLSBlastHandler(payload: .raw(chunkBytes: rawChunk), duration: timeAmount, byteLimit: 1 << 30, handshake: handshake)
            }),
            ("PeerFrame.data, \(frameBytes) B each (encoded one by one, fully decoded)", true, { handshake in
                RoutingDataBlastHandler(envelope: envelope, duration: timeAmount, handshake: handshake)
            }),
        ]
        var results: [Result] = []
        do {
            for (name, decode, make) in cases {
                let tally = try await measure(decode: decode, make: make, server: server, client: client,
                                              serverGroup: serverGroup, clientGroup: clientGroup)
                let frames = decode ? tally.frames : tally.bytes / max(1, rawChunk)
                results.append(Result(name: name, bytes: tally.bytes, frames: frames, seconds: tally.seconds))
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

    /// One connection, as `TLSThroughputBench` measures one.
    private func measure(
        decode: Bool, make: @escaping @Sendable (EventLoopPromise<String?>) -> any ChannelHandler,
        server: NIOSSLContext, client: NIOSSLContext, serverGroup: any EventLoopGroup, clientGroup: any EventLoopGroup
    ) async throws -> TLSCountHandler.Tally {
        try await TLSPairMeasurement.run(decodeFrames: decode, makeClient: make, server: server, client: client,
                                         serverGroup: serverGroup, clientGroup: clientGroup,
                                         timeLimit: duration * 4 + .seconds(30), what: "peer-link transfer")
    }
}
