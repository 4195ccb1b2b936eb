import Foundation
import PlexusCore
@testable import PlexusIdentity
import Testing
import X509

/// `TrustStore.verify`: a CA vouches only for certificates it signed, for its own organisation,
/// within their validity period.
@Suite struct TrustStoreTests {
    let acme: OrganisationCA
    let store: TrustStore

    init() throws {
        acme = try OrganisationCA.create(organisation: "acme")
        store = TrustStore([try TrustedOrganisation(certificate: acme.certificate)])
    }

    @Test func verifiesCertificateFromTrustedCA() throws {
        let node = try acme.issue(node: "n1", cluster: "eu1")
        let verified = try store.verify(certificateDER: node.certificateDER).get()
        #expect(verified.nodeID == NodeID("acme/eu1/n1"))
        #expect((verified.organisation, verified.cluster, verified.name) == ("acme", "eu1", "n1"))
        #expect(verified.signingKey == Array(node.signingKey.publicKey.rawRepresentation))
        #expect(verified.namespace == .unrestricted)
    }

    @Test func refusesUntrustedCA() throws {
        let globex = try OrganisationCA.create(organisation: "globex")
        let node = try globex.issue(node: "n1")
        #expect(failure(store.verify(certificateDER: node.certificateDER)) == .untrusted)
    }

    @Test func refusesSameSubjectDifferentKey() throws {
        let impostor = try OrganisationCA.create(organisation: "acme")
        let node = try impostor.issue(node: "n1")
        #expect(failure(store.verify(certificateDER: node.certificateDER)) == .untrusted)
    }

    @Test func refusesForeignOrganisationVouchedByCA() throws {
        let node = try acme.issue(node: "n1", cluster: "default", subjectOrganisation: "globex", validityDays: 30, now: Date())
        let result = store.verify(certificateDER: node.certificateDER)
        #expect(failure(result) == .untrusted)
        if case .failure(let error) = result { #expect(error.message.contains("globex")) }
    }

    @Test func refusesTamperedSignature() throws {
        var der = try acme.issue(node: "n1").certificateDER
        der[der.count - 1] ^= 0x01
        #expect(failure(store.verify(certificateDER: der)) == .untrusted)
    }

    @Test func refusesGarbage() {
        #expect(failure(store.verify(certificateDER: [0x30, 0x03, 0x01, 0x02])) == .badCertificate)
    }

    @Test func refusesCACertificateAsNode() throws {
        let der = try CertificateCoding.der(acme.certificate)
        #expect(failure(store.verify(certificateDER: der)) == .badCertificate)
    }

    @Test func checksValidityOnlyWhenGivenNow() throws {
        let issued = Date(timeIntervalSince1970: 1_800_000_000)
        let node = try acme.issue(node: "n1", validityDays: 1, now: issued)
        let der = node.certificateDER
        #expect(failure(store.verify(certificateDER: der, now: issued.addingTimeInterval(2 * 86_400))) == .expired)
        #expect(failure(store.verify(certificateDER: der, now: issued.addingTimeInterval(-86_400))) == .notYetValid)
        #expect(failure(store.verify(certificateDER: der, now: issued.addingTimeInterval(3_600))) == nil)
        #expect(failure(store.verify(certificateDER: der)) == nil)
    }

    @Test func namespaceComesFromMatchingOrganisation() throws {
        let globex = try OrganisationCA.create(organisation: "globex")
        let namespace = Namespace(subjects: ["globex.*"], backbones: nil, clusters: ["eu*"])
        let both = TrustStore(store.organisations + [try TrustedOrganisation(certificate: globex.certificate, namespace: namespace)])
        let node = try globex.issue(node: "g1", cluster: "eu2")
        #expect(try both.verify(certificateDER: node.certificateDER).get().namespace == namespace)
    }

    @Test func loadsCertificateBundle() throws {
        let dir = try TemporaryDirectory()
        let globex = try OrganisationCA.create(organisation: "globex")
        let bundle = try CertificateCoding.pem(acme.certificate) + CertificateCoding.pem(globex.certificate)
        try bundle.write(toFile: dir.file("bundle.pem"), atomically: true, encoding: .utf8)
        let loaded = try TrustStore.loadCertificates(pem: dir.file("bundle.pem"))
        #expect(loaded == [acme.certificate, globex.certificate])
        try "nonsense".write(toFile: dir.file("bad.pem"), atomically: true, encoding: .utf8)
        let error = #expect(throws: IdentityError.self) { try TrustStore.loadCertificates(pem: dir.file("bad.pem")) }
        #expect(error?.code == .badPEM)
        #expect(error?.message.contains(dir.file("bad.pem")) == true)
    }

    private func failure(_ result: Result<VerifiedNode, IdentityError>) -> IdentityError.Code? {
        if case .failure(let error) = result { return error.code }
        return nil
    }
}
