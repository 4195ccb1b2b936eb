import Crypto
import Foundation
import PlexusCore
import SwiftASN1
import X509

/// An organisation's certificate authority: the root every node of the organisation is vouched
/// for by, and the only thing other organisations need to trust (with a namespace) to federate.
/// Deliberately one level deep — the CA signs node certificates directly, no intermediates — so
/// verification stays a single signature check that is easy to reason about.
public struct OrganisationCA: Sendable {
    public let organisation: String
    public let certificate: Certificate
    let privateKey: P256.Signing.PrivateKey

    /// Node certificates are backdated by this much so that a freshly issued certificate is not
    /// refused by a peer whose clock is a few minutes behind.
    static let clockSkewAllowance: TimeInterval = 300

    init(organisation: String, certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.organisation = organisation
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// A new CA with a fresh P-256 key and a self-signed certificate `O=<org>, CN=<org> Plexus CA`.
    public static func create(organisation: String, validityDays: Int = 3650, now: Date = Date()) throws -> OrganisationCA {
        try IdentityName.validate(organisation, as: "organisation")
        let key = P256.Signing.PrivateKey()
        let signer = Certificate.PrivateKey(key)
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try make(what: "CA certificate for \(organisation)") {
            let name = try DistinguishedName {
                OrganizationName(organisation)
                CommonName("\(organisation) Plexus CA")
            }
            return try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-clockSkewAllowance),
                notValidAfter: try validUntil(now, days: validityDays),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: signer
            )
        }
        return OrganisationCA(organisation: organisation, certificate: certificate, privateKey: key)
    }

    /// Writes `<dir>/ca.pem` and `<dir>/ca.key` (PKCS#8, mode 0600), creating `directory`. An
    /// existing `ca.key` is never replaced: losing a CA key strands every node it issued.
    public func write(to directory: String) throws {
        try IdentityFiles.createDirectory(directory)
        let keyPath = (directory as NSString).appendingPathComponent("ca.key")
        let certificatePath = (directory as NSString).appendingPathComponent("ca.pem")
        try IdentityFiles.write(privateKey.pemRepresentation, to: keyPath, mode: IdentityFiles.secret, overwrite: false)
        try IdentityFiles.write(
            try CertificateCoding.pem(certificate), to: certificatePath, mode: IdentityFiles.public, overwrite: true)
    }

    /// Reads a CA written by `write(to:)`, checking that the key belongs to the certificate.
    public static func load(from directory: String) throws -> OrganisationCA {
        let certificatePath = (directory as NSString).appendingPathComponent("ca.pem")
        let keyPath = (directory as NSString).appendingPathComponent("ca.key")
        let certificates = try CertificateCoding.certificates(pem: IdentityFiles.read(certificatePath), source: certificatePath)
        guard certificates.count == 1 else {
            throw IdentityError(.badCertificate, "\(certificatePath): expected one CA certificate, found \(certificates.count)")
        }
        let certificate = certificates[0]
        guard CertificateCoding.isCA(certificate) else {
            throw IdentityError(.badCertificate, "\(certificatePath): \"\(certificate.subject)\" is not a CA certificate")
        }
        guard let organisation = CertificateCoding.organisation(of: certificate.subject), IdentityName.isValid(organisation) else {
            throw IdentityError(.badCertificate, "\(certificatePath): subject \"\(certificate.subject)\" has no valid O (organisation)")
        }
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: IdentityFiles.read(keyPath))
        } catch let error as IdentityError {
            throw error
        } catch {
            throw IdentityError(.badPEM, "\(keyPath): not a P-256 private key PEM: \(error)")
        }
        guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
            throw IdentityError(.wrongKey, "\(keyPath) does not belong to the certificate in \(certificatePath)")
        }
        return OrganisationCA(organisation: organisation, certificate: certificate, privateKey: key)
    }

    /// Issues a node certificate `O=<org>, OU=<cluster>, CN=<node>` with fresh TLS and signing keys.
    public func issue(node: String, cluster: String = "default", validityDays: Int = 365, now: Date = Date()) throws -> NodeIdentity {
        try IdentityName.validate(cluster, as: "cluster")
        try IdentityName.validate(node, as: "node")
        return try issue(node: node, cluster: cluster, subjectOrganisation: organisation, validityDays: validityDays, now: now)
    }

    /// Issues with any subject organisation — which a real CA must never do, and which verifiers
    /// refuse. Internal so tests can build exactly such a certificate.
    func issue(node: String, cluster: String, subjectOrganisation: String, validityDays: Int, now: Date) throws -> NodeIdentity {
        let tlsKey = P256.Signing.PrivateKey()
        let signingKey = Curve25519.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(tlsKey.publicKey)
        let signingHex = Hex.encode(Array(signingKey.publicKey.rawRepresentation))
        let ca = certificate
        let nodeCertificate = try Self.make(what: "node certificate for \(subjectOrganisation)/\(cluster)/\(node)") {
            try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-Self.clockSkewAllowance),
                notValidAfter: try Self.validUntil(now, days: validityDays),
                issuer: ca.subject,
                subject: try DistinguishedName {
                    OrganizationName(subjectOrganisation)
                    OrganizationalUnitName(cluster)
                    CommonName(node)
                },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth, .clientAuth])
                    SubjectKeyIdentifier(hash: publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: ca.publicKey).keyIdentifier)
                    SubjectAlternativeNames([
                        .dnsName("localhost"),
                        .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                        .uniformResourceIdentifier("\(NodeCertificateFields.nodeURNPrefix)\(subjectOrganisation)/\(cluster)/\(node)"),
                        .uniformResourceIdentifier("\(NodeCertificateFields.signingKeyURNPrefix)\(signingHex)"),
                    ])
                },
                issuerPrivateKey: Certificate.PrivateKey(privateKey)
            )
        }
        return try NodeIdentity(
            certificate: nodeCertificate, tlsKey: tlsKey, signingKey: signingKey, caCertificate: ca,
            organisation: subjectOrganisation, cluster: cluster, name: node
        )
    }

    private static func validUntil(_ now: Date, days: Int) throws(IdentityError) -> Date {
        guard (1...36_500).contains(days) else {
            throw IdentityError(.badCertificate, "validity of \(days) days is out of range (1...36500)")
        }
        return now.addingTimeInterval(TimeInterval(days) * 86_400)
    }

    private static func make(what: String, _ build: () throws -> Certificate) throws -> Certificate {
        do {
            return try build()
        } catch let error as IdentityError {
            throw error
        } catch {
            throw IdentityError(.badCertificate, "cannot create \(what): \(error)")
        }
    }
}
