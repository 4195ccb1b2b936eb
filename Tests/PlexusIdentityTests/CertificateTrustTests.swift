import Foundation
import PlexusCore
import PlexusIdentity
import Testing

/// `CertificateTrust.admitNode`: node entries are believed only with a certificate that vouches
/// for exactly that owner and key, within the organisation's namespace.
@Suite struct CertificateTrustTests {
    let acme: OrganisationCA
    let globex: OrganisationCA
    let trust: CertificateTrust

    init() throws {
        acme = try OrganisationCA.create(organisation: "acme")
        globex = try OrganisationCA.create(organisation: "globex")
        let partner = Namespace(subjects: ["globex.*"], backbones: ["globex-*"], clusters: ["eu*"])
        trust = CertificateTrust(store: TrustStore([
            try TrustedOrganisation(certificate: acme.certificate),
            try TrustedOrganisation(certificate: globex.certificate, namespace: partner),
        ]))
    }

    static func payload(_ node: NodeIdentity, signingKey: [UInt8]? = nil) -> JSONValue {
        let key = signingKey ?? Array(node.signingKey.publicKey.rawRepresentation)
        return [
            "certificate": .string(Data(node.certificateDER).base64EncodedString()),
            "signing_key": .string(Hex.encode(key)),
        ]
    }

    @Test func admitsGoodPayload() throws {
        let node = try acme.issue(node: "n1", cluster: "eu1")
        let expected = NodeCredential(
            signingKey: Array(node.signingKey.publicKey.rawRepresentation), organisation: "acme", namespace: .unrestricted,
            issuedAt: Int64(node.certificate.notValidBefore.timeIntervalSince1970))
        #expect(trust.admitNode(owner: node.nodeID, payload: Self.payload(node)) == .admitted(expected))
        #expect(trust.pinsFirstKey == false)
    }

    @Test func admitsPartnerInsideNamespace() throws {
        let node = try globex.issue(node: "g1", cluster: "eu2")
        guard case .admitted(let credential) = trust.admitNode(owner: node.nodeID, payload: Self.payload(node)) else {
            Issue.record("not admitted")
            return
        }
        #expect(credential.organisation == "globex")
        #expect(credential.namespace.subjects == ["globex.*"])
    }

    @Test func rejectsOwnerMismatch() throws {
        let node = try acme.issue(node: "n1")
        #expect(trust.admitNode(owner: NodeID("acme/default/n2"), payload: Self.payload(node)) == .rejected(.namespace))
    }

    @Test func rejectsKeyMismatch() throws {
        let node = try acme.issue(node: "n1")
        let other = try acme.issue(node: "n2")
        let payload = Self.payload(node, signingKey: Array(other.signingKey.publicKey.rawRepresentation))
        #expect(trust.admitNode(owner: node.nodeID, payload: payload) == .rejected(.badSignature))
        let noKey: JSONValue = ["certificate": .string(Data(node.certificateDER).base64EncodedString())]
        #expect(trust.admitNode(owner: node.nodeID, payload: noKey) == .rejected(.badSignature))
    }

    @Test func rejectsUntrustedCA() throws {
        let node = try OrganisationCA.create(organisation: "initech").issue(node: "n1")
        #expect(trust.admitNode(owner: node.nodeID, payload: Self.payload(node)) == .rejected(.badSignature))
    }

    @Test func rejectsMissingOrMalformedCertificate() throws {
        let node = try acme.issue(node: "n1")
        let missing: JSONValue = ["signing_key": .string(Hex.encode(Array(node.signingKey.publicKey.rawRepresentation)))]
        #expect(trust.admitNode(owner: node.nodeID, payload: missing) == .rejected(.malformed))
        let notBase64: JSONValue = ["certificate": "%%%", "signing_key": "00"]
        #expect(trust.admitNode(owner: node.nodeID, payload: notBase64) == .rejected(.malformed))
        #expect(trust.admitNode(owner: node.nodeID, payload: "just a string") == .rejected(.malformed))
    }

    @Test func rejectsPartnerClusterOutsideNamespace() throws {
        let node = try globex.issue(node: "g1", cluster: "us1")
        #expect(trust.admitNode(owner: node.nodeID, payload: Self.payload(node)) == .rejected(.namespace))
    }
}
