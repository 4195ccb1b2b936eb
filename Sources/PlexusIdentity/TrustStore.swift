import Foundation
import X509

/// The CAs a node believes. Verification is one level deep by design — a trusted CA signed the
/// node certificate directly — and a CA only vouches for its own organisation, so trusting a
/// partner's CA can never let it impersonate the own organisation's nodes.
public struct TrustStore: Sendable {
    public var organisations: [TrustedOrganisation]

    public init(_ organisations: [TrustedOrganisation]) {
        self.organisations = organisations
    }

    /// Verifies a node certificate. With `now`, the validity period is checked too (TLS does
    /// that at the handshake anyway; registry admission leaves it out to stay deterministic).
    public func verify(certificateDER: [UInt8], now: Date? = nil) -> Result<VerifiedNode, IdentityError> {
        do throws(IdentityError) {
            let certificate = try CertificateCoding.certificate(der: certificateDER, source: "node certificate")
            return .success(try check(certificate, source: "node certificate", now: now).node)
        } catch {
            return .failure(error)
        }
    }

    /// Reads every certificate in a PEM file (a CA bundle may hold several).
    public static func loadCertificates(pem path: String) throws -> [Certificate] {
        try CertificateCoding.certificates(pem: IdentityFiles.read(path), source: path)
    }

    /// `verify` on a parsed certificate, also returning the organisation whose CA signed it.
    /// `source` names the certificate in errors.
    func check(_ certificate: Certificate, source: String, now: Date?) throws(IdentityError) -> (node: VerifiedNode, issuer: TrustedOrganisation) {
        let candidates = organisations.filter { $0.certificate.subject == certificate.issuer && CertificateCoding.isCA($0.certificate) }
        guard !candidates.isEmpty else {
            throw IdentityError(.untrusted, "\(source) (\(certificate.subject)): issuer \"\(certificate.issuer)\" is not a trusted CA")
        }
        guard let issuer = candidates.first(where: { $0.certificate.publicKey.isValidSignature(certificate.signature, for: certificate) }) else {
            throw IdentityError(
                .untrusted, "\(source) (\(certificate.subject)): signature does not verify against the trusted CA \"\(certificate.issuer)\"")
        }
        guard !CertificateCoding.isCA(certificate) else {
            throw IdentityError(.badCertificate, "\(source) (\(certificate.subject)) is a CA certificate, not a node certificate")
        }
        let fields = try NodeCertificateFields(certificate, source: source)
        guard fields.organisation == issuer.organisation else {
            throw IdentityError(
                .untrusted,
                "\(source): the CA of \"\(issuer.organisation)\" may not vouch for a node of organisation \"\(fields.organisation)\""
            )
        }
        if let now {
            for (what, checked) in [("node certificate", certificate), ("CA certificate", issuer.certificate)] {
                if now < checked.notValidBefore {
                    throw IdentityError(.notYetValid, "\(source): \(what) \"\(checked.subject)\" is not valid before \(checked.notValidBefore)")
                }
                if now > checked.notValidAfter {
                    throw IdentityError(.expired, "\(source): \(what) \"\(checked.subject)\" expired at \(checked.notValidAfter)")
                }
            }
        }
        let node = VerifiedNode(
            nodeID: fields.nodeID, organisation: fields.organisation, cluster: fields.cluster, name: fields.name,
            signingKey: fields.signingKey, namespace: issuer.namespace,
            issuedAt: Int64(certificate.notValidBefore.timeIntervalSince1970)
        )
        return (node, issuer)
    }
}
