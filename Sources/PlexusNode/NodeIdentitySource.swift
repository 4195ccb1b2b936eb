import Foundation
import PlexusCore
import PlexusIdentity

/// Finds the node's identity and the organisations it trusts from its configuration, creating a
/// development identity (a CA of organisation `dev` and a certificate for this node) under
/// `data_dir/identity` when none is configured, so `plexus dev` needs no setup.
enum NodeIdentitySource {
    static let devOrganisation = "dev"
    static let devCluster = "local"

    static func identity(for configuration: NodeConfiguration) throws -> NodeIdentity {
        let files = configuration.identity
        if let certificate = files.certificate, let key = files.key, let signingKey = files.signingKey, let ca = files.ca {
            return try NodeIdentity.load(certificate: certificate, key: key, signingKey: signingKey, ca: ca)
        }
        let root = configuration.dataDir + "/identity"
        let caDirectory = root + "/ca"
        let nodeDirectory = root + "/node"
        let paths = NodeIdentity.files(in: nodeDirectory)
        if FileManager.default.fileExists(atPath: paths.certificate) {
            return try NodeIdentity.load(certificate: paths.certificate, key: paths.key, signingKey: paths.signingKey, ca: paths.ca)
        }
        let ca = FileManager.default.fileExists(atPath: caDirectory + "/ca.key")
            ? try OrganisationCA.load(from: caDirectory)
            : try OrganisationCA.create(organisation: devOrganisation)
        try? ca.write(to: caDirectory)
        let identity = try ca.issue(node: IdentityNameFallback.sanitized(configuration.name), cluster: devCluster)
        try identity.write(to: nodeDirectory)
        return identity
    }

    /// The own organisation (everything allowed) plus each configured federated one.
    static func trust(for configuration: NodeConfiguration, identity: NodeIdentity) throws -> TrustStore {
        var organisations = [TrustedOrganisation(certificate: identity.caCertificate, organisation: identity.organisation)]
        for (index, entry) in configuration.trust.enumerated() {
            for certificate in try TrustStore.loadCertificates(pem: entry.ca) {
                let namespace = Namespace(subjects: entry.subjects, backbones: entry.backbones, clusters: entry.clusters)
                let organisation = try TrustedOrganisation(certificate: certificate, namespace: namespace)
                // One CA per organisation: two would each mint the other's node ids, and a foreign
                // CA naming our own organisation would vouch for our node ids.
                if organisations.contains(where: { $0.organisation == organisation.organisation }) {
                    throw ConfigurationError(key: "trust[\(index)].ca", line: nil,
                                             message: "\(entry.ca) is a CA of organisation \(organisation.organisation), which is already trusted (own or listed earlier)")
                }
                organisations.append(organisation)
            }
        }
        let store = TrustStore(organisations)
        // Every handshake would fail with an expired or not yet valid certificate: say so now.
        if case .failure(let error) = store.verify(certificateDER: identity.certificateDER, now: Date()) {
            throw ConfigurationError(key: "identity.certificate", line: nil, message: "\(error)")
        }
        return store
    }
}

/// Node names in certificates are `[A-Za-z0-9][A-Za-z0-9_-]*`; a free-form `node.name` is mapped
/// onto that for the development identity.
enum IdentityNameFallback {
    static func sanitized(_ name: String) -> String {
        var out = String(name.unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_") ? c : "-"
        }.prefix(63))
        if out.first.map({ !($0.isLetter || $0.isNumber) }) ?? true { out = "n" + out.prefix(62) }
        return out
    }
}
