import Foundation
import PlexusCore
import PlexusIdentity
import Testing
import X509

/// Round trips through the files `plexus identity` writes, and refusal of inconsistent files.
@Suite struct IdentityFilesTests {
    @Test func caAndNodeRoundTripThroughFiles() throws {
        let dir = try TemporaryDirectory()
        let ca = try OrganisationCA.create(organisation: "acme")
        try ca.write(to: dir.file("ca"))
        let loadedCA = try OrganisationCA.load(from: dir.file("ca"))
        #expect(loadedCA.organisation == "acme")
        #expect(loadedCA.certificate == ca.certificate)

        let node = try loadedCA.issue(node: "n1", cluster: "eu1")
        #expect(node.nodeID == NodeID("acme/eu1/n1"))
        try node.write(to: dir.file("n1"))
        let loaded = try NodeIdentity.load(
            certificate: dir.file("n1/node.pem"), key: dir.file("n1/node.key"),
            signingKey: dir.file("n1/signing.key"), ca: dir.file("n1/ca.pem"))
        #expect(loaded.nodeID == node.nodeID)
        #expect((loaded.organisation, loaded.cluster, loaded.name) == ("acme", "eu1", "n1"))
        #expect(loaded.certificateDER == node.certificateDER)
        #expect(loaded.signingSeed == node.signingSeed)
        #expect(loaded.signingSeed.count == 32)
        #expect(loaded.tlsKey.rawRepresentation == node.tlsKey.rawRepresentation)
        #expect(loaded.caCertificate == ca.certificate)
        #expect(try String(contentsOfFile: dir.file("n1/signing.key"), encoding: .utf8).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let signer = try NodeSigningKey(seed: loaded.signingSeed)
        #expect(signer.publicKey == Array(node.signingKey.publicKey.rawRepresentation))
    }

    @Test func defaultClusterAndSecretFileModes() throws {
        let dir = try TemporaryDirectory()
        let ca = try OrganisationCA.create(organisation: "acme")
        try ca.write(to: dir.path)
        let node = try ca.issue(node: "n2")
        #expect(node.nodeID == NodeID("acme/default/n2"))
        try node.write(to: dir.file("n2"))
        for secret in ["ca.key", "n2/node.key", "n2/signing.key"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: dir.file(secret))
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(secret)")
        }
    }

    @Test func refusesToOverwriteCAKey() throws {
        let dir = try TemporaryDirectory()
        try OrganisationCA.create(organisation: "acme").write(to: dir.path)
        let error = #expect(throws: IdentityError.self) {
            try OrganisationCA.create(organisation: "acme").write(to: dir.path)
        }
        #expect(error?.message.contains(dir.file("ca.key")) == true)
    }

    @Test func missingFileIsNamed() throws {
        let dir = try TemporaryDirectory()
        let error = #expect(throws: IdentityError.self) { try OrganisationCA.load(from: dir.path) }
        #expect(error?.code == .fileMissing)
        #expect(error?.message.contains(dir.file("ca.pem")) == true)
    }

    @Test func refusesMismatchedSigningKey() throws {
        let dir = try TemporaryDirectory()
        let ca = try OrganisationCA.create(organisation: "acme")
        try ca.issue(node: "a").write(to: dir.file("a"))
        try ca.issue(node: "b").write(to: dir.file("b"))
        let error = #expect(throws: IdentityError.self) {
            try NodeIdentity.load(
                certificate: dir.file("a/node.pem"), key: dir.file("a/node.key"),
                signingKey: dir.file("b/signing.key"), ca: dir.file("a/ca.pem"))
        }
        #expect(error?.code == .wrongKey)
        #expect(error?.message.contains(dir.file("b/signing.key")) == true)
    }

    @Test func refusesMismatchedTLSKey() throws {
        let dir = try TemporaryDirectory()
        let ca = try OrganisationCA.create(organisation: "acme")
        try ca.issue(node: "a").write(to: dir.file("a"))
        try ca.issue(node: "b").write(to: dir.file("b"))
        let error = #expect(throws: IdentityError.self) {
            try NodeIdentity.load(
                certificate: dir.file("a/node.pem"), key: dir.file("b/node.key"),
                signingKey: dir.file("a/signing.key"), ca: dir.file("a/ca.pem"))
        }
        #expect(error?.code == .wrongKey)
        #expect(error?.message.contains(dir.file("b/node.key")) == true)
    }

    @Test func refusesCertificateFromAnotherCA() throws {
        let dir = try TemporaryDirectory()
        try OrganisationCA.create(organisation: "acme").issue(node: "a").write(to: dir.file("a"))
        try OrganisationCA.create(organisation: "acme").write(to: dir.file("other"))
        let error = #expect(throws: IdentityError.self) {
            try NodeIdentity.load(
                certificate: dir.file("a/node.pem"), key: dir.file("a/node.key"),
                signingKey: dir.file("a/signing.key"), ca: dir.file("other/ca.pem"))
        }
        #expect(error?.code == .untrusted)
    }
}
