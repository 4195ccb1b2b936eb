import NIOSSL
import PlexusIdentity
import X509

/// TLS contexts for peer links: TLS 1.3 only, mutual authentication against the trusted
/// organisations' CAs, ALPN `plexus/1`. Host names are not checked: a peer is identified by the
/// organisation, cluster and node name its CA vouched for, which the link checks after the
/// handshake (see `PeerFrameHandler`).
enum PeerTLS {
    static let alpn = "plexus/1"

    static func contexts(identity: NodeIdentity, trust: TrustStore) throws -> (server: NIOSSLContext, client: NIOSSLContext) {
        let certificate = try NIOSSLCertificate(bytes: identity.certificateDER, format: .der)
        let key = try NIOSSLPrivateKey(bytes: Array(identity.tlsKeyPEM.utf8), format: .pem)
        var roots: [NIOSSLCertificate] = []
        for organisation in trust.organisations {
            let pem = try organisation.certificate.serializeAsPEM().pemString
            roots.append(try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem))
        }
        func configure(_ configuration: inout TLSConfiguration) {
            configuration.minimumTLSVersion = .tlsv13
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(roots)
            configuration.applicationProtocols = [alpn]
        }
        var server = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        configure(&server)
        var client = TLSConfiguration.makeClientConfiguration()
        client.certificateChain = [.certificate(certificate)]
        client.privateKey = .privateKey(key)
        configure(&client)
        return (try NIOSSLContext(configuration: server), try NIOSSLContext(configuration: client))
    }
}
