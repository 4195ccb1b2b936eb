import PlexusCore
import SwiftASN1
import X509

/// What Plexus reads out of a node certificate: who the node is (subject O, OU, CN) and which
/// Ed25519 key signs its registry entries (the `urn:plexus:ed25519:<hex>` SAN URI). The key is
/// carried in a standard SAN URI rather than a custom extension so that any X.509 tooling can
/// show it and no private OID has to be registered.
struct NodeCertificateFields: Sendable, Equatable {
    static let signingKeyURNPrefix = "urn:plexus:ed25519:"
    static let nodeURNPrefix = "urn:plexus:node:"

    var organisation: String
    var cluster: String
    var name: String
    /// Raw Ed25519 public key, 32 bytes.
    var signingKey: [UInt8]

    var nodeID: NodeID { IdentityName.nodeID(organisation: organisation, cluster: cluster, name: name) }

    /// Parses `certificate`; `source` names it in errors (a path, or "peer certificate").
    init(_ certificate: Certificate, source: String) throws(IdentityError) {
        let subject = certificate.subject
        func field(_ type: ASN1ObjectIdentifier, _ label: String, _ what: String) throws(IdentityError) -> String {
            guard let value = CertificateCoding.single(type, in: subject) else {
                throw IdentityError(.badCertificate, "\(source): subject \"\(subject)\" needs exactly one \(label) (\(what))")
            }
            guard IdentityName.isValid(value) else {
                throw IdentityError(.badCertificate, "\(source): subject \(label) \"\(value)\" is not a valid \(what) name")
            }
            return value
        }
        organisation = try field(.RDNAttributeType.organizationName, "O", "organisation")
        cluster = try field(.RDNAttributeType.organizationalUnitName, "OU", "cluster")
        name = try field(.RDNAttributeType.commonName, "CN", "node")
        signingKey = try Self.signingKey(of: certificate, source: source)
    }

    private static func signingKey(of certificate: Certificate, source: String) throws(IdentityError) -> [UInt8] {
        let names: SubjectAlternativeNames?
        do {
            names = try certificate.extensions.subjectAlternativeNames
        } catch {
            throw IdentityError(.badCertificate, "\(source): malformed subjectAltName: \(error)")
        }
        var keys: [String] = []
        for case .uniformResourceIdentifier(let uri) in names ?? SubjectAlternativeNames() where uri.hasPrefix(signingKeyURNPrefix) {
            keys.append(String(uri.dropFirst(signingKeyURNPrefix.count)))
        }
        guard keys.count == 1 else {
            throw IdentityError(
                .badCertificate,
                "\(source): needs exactly one subjectAltName URI \(signingKeyURNPrefix)<64 hex>, found \(keys.count)"
            )
        }
        let hex = keys[0]
        guard hex.utf8.count == 64, hex == hex.lowercased(), let raw = Hex.decode(hex) else {
            throw IdentityError(.badCertificate, "\(source): \(signingKeyURNPrefix)\(hex) is not 64 lowercase hex characters")
        }
        return raw
    }
}
