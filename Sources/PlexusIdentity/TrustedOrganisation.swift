import PlexusCore
import X509

/// A CA this node believes, and what the organisation behind it may announce. The own
/// organisation is `.unrestricted`; a foreign one gets the namespace the operator agreed with it,
/// so federating never hands a partner more than its own subjects, backbones and clusters.
public struct TrustedOrganisation: Sendable {
    /// The organisation's CA certificate.
    public var certificate: Certificate
    /// The CA subject's O; a CA only vouches for node certificates with this O.
    public var organisation: String
    public var namespace: Namespace

    public init(certificate: Certificate, organisation: String, namespace: Namespace = .unrestricted) {
        self.certificate = certificate
        self.organisation = organisation
        self.namespace = namespace
    }

    /// Takes the organisation from the CA subject's O; throws `badCertificate` if the certificate
    /// is not a CA or has no valid O.
    public init(certificate: Certificate, namespace: Namespace = .unrestricted) throws {
        guard CertificateCoding.isCA(certificate) else {
            throw IdentityError(.badCertificate, "\"\(certificate.subject)\" is not a CA certificate")
        }
        guard let organisation = CertificateCoding.organisation(of: certificate.subject), IdentityName.isValid(organisation) else {
            throw IdentityError(.badCertificate, "CA subject \"\(certificate.subject)\" has no valid O (organisation)")
        }
        self.init(certificate: certificate, organisation: organisation, namespace: namespace)
    }
}
