import Crypto
import Foundation
import PlexusCore
import SwiftASN1
import X509

/// Everything a node needs to take part in the mesh: its CA-issued certificate, the P-256 key
/// that proves it in TLS, and the Ed25519 key it signs registry entries with. The certificate
/// binds the two keys together (the Ed25519 public key is in a SAN URI), so a peer that accepted
/// the TLS handshake can also believe the node's registry entries.
public struct NodeIdentity: Sendable {
    public let certificate: Certificate
    public let tlsKey: P256.Signing.PrivateKey
    public let signingKey: Curve25519.Signing.PrivateKey
    public let caCertificate: Certificate
    public let organisation: String
    public let cluster: String
    public let name: String
    /// The certificate's DER encoding, for TLS stacks and registry payloads.
    public let certificateDER: [UInt8]

    init(
        certificate: Certificate, tlsKey: P256.Signing.PrivateKey, signingKey: Curve25519.Signing.PrivateKey,
        caCertificate: Certificate, organisation: String, cluster: String, name: String
    ) throws(IdentityError) {
        self.certificate = certificate
        self.tlsKey = tlsKey
        self.signingKey = signingKey
        self.caCertificate = caCertificate
        self.organisation = organisation
        self.cluster = cluster
        self.name = name
        self.certificateDER = try CertificateCoding.der(certificate)
    }

    /// `<org>/<cluster>/<name>`.
    public var nodeID: NodeID { IdentityName.nodeID(organisation: organisation, cluster: cluster, name: name) }

    public var certificatePEM: String { PEMDocument(type: "CERTIFICATE", derBytes: certificateDER).pemString }

    /// The TLS key as PKCS#8 PEM.
    public var tlsKeyPEM: String { tlsKey.pemRepresentation }

    /// The 32-byte Ed25519 private key (its seed), for `PlexusCore.NodeSigningKey(seed:)`.
    public var signingSeed: [UInt8] { Array(signingKey.rawRepresentation) }

    /// Writes `node.pem`, `node.key` (0600), `signing.key` (Ed25519 PKCS#8, 0600) and `ca.pem`
    /// into `directory`, creating it. Existing files are replaced (re-issuing a node).
    public func write(to directory: String) throws {
        try IdentityFiles.createDirectory(directory)
        func path(_ file: String) -> String { (directory as NSString).appendingPathComponent(file) }
        try IdentityFiles.write(tlsKeyPEM, to: path("node.key"), mode: IdentityFiles.secret, overwrite: true)
        try IdentityFiles.write(
            try Ed25519KeyPEM.encode(signingKey), to: path("signing.key"), mode: IdentityFiles.secret, overwrite: true)
        try IdentityFiles.write(certificatePEM, to: path("node.pem"), mode: IdentityFiles.public, overwrite: true)
        try IdentityFiles.write(
            try CertificateCoding.pem(caCertificate), to: path("ca.pem"), mode: IdentityFiles.public, overwrite: true)
    }

    /// The files `write(to:)` produced, by path.
    public static func files(in directory: String) -> (certificate: String, key: String, signingKey: String, ca: String) {
        func path(_ file: String) -> String { (directory as NSString).appendingPathComponent(file) }
        return (path("node.pem"), path("node.key"), path("signing.key"), path("ca.pem"))
    }

    /// Loads a node identity from its files, refusing any inconsistency: the certificate must be
    /// signed by (one of) the CA(s) in `ca`, and both private keys must match the certificate.
    public static func load(certificate: String, key: String, signingKey: String, ca: String) throws -> NodeIdentity {
        let nodeCertificate = try CertificateCoding.certificates(pem: IdentityFiles.read(certificate), source: certificate)[0]
        let caCertificates = try TrustStore.loadCertificates(pem: ca)
        var trusted: [TrustedOrganisation] = []
        for caCertificate in caCertificates {
            trusted.append(try TrustedOrganisation(certificate: caCertificate))
        }
        let (verified, issuer) = try TrustStore(trusted).check(nodeCertificate, source: certificate, now: nil)

        let tlsKey: P256.Signing.PrivateKey
        do {
            tlsKey = try P256.Signing.PrivateKey(pemRepresentation: IdentityFiles.read(key))
        } catch let error as IdentityError {
            throw error
        } catch {
            throw IdentityError(.badPEM, "\(key): not a P-256 private key PEM: \(error)")
        }
        guard Certificate.PublicKey(tlsKey.publicKey) == nodeCertificate.publicKey else {
            throw IdentityError(.wrongKey, "\(key) does not belong to the certificate in \(certificate)")
        }
        let ed25519 = try Ed25519KeyPEM.decode(IdentityFiles.read(signingKey), source: signingKey)
        guard Array(ed25519.publicKey.rawRepresentation) == verified.signingKey else {
            throw IdentityError(
                .wrongKey, "\(signingKey) is not the Ed25519 key named in the certificate \(certificate) (urn:plexus:ed25519:)")
        }
        return try NodeIdentity(
            certificate: nodeCertificate, tlsKey: tlsKey, signingKey: ed25519, caCertificate: issuer.certificate,
            organisation: verified.organisation, cluster: verified.cluster, name: verified.name
        )
    }
}
