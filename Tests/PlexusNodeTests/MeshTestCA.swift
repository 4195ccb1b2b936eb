import Foundation
import PlexusIdentity
import PlexusNode

/// An organisation CA in a temporary directory that issues identities for in-process test nodes,
/// so several nodes trust each other (each `TestNode` would otherwise make its own dev CA).
struct MeshTestCA {
    let ca: OrganisationCA
    let directory: String

    init(organisation: String) throws {
        ca = try OrganisationCA.create(organisation: organisation)
        directory = TestNode.temporaryDirectory()
        try ca.write(to: directory + "/ca")
    }

    var caFile: String { directory + "/ca/ca.pem" }

    /// Issues `node` and points `config.identity` at its files.
    @discardableResult
    func configure(_ config: inout NodeConfiguration, node: String, cluster: String = "c") throws -> NodeIdentity {
        let identity = try issue(node: node, cluster: cluster)
        let files = NodeIdentity.files(in: directory + "/" + node)
        config.identity.certificate = files.certificate
        config.identity.key = files.key
        config.identity.signingKey = files.signingKey
        config.identity.ca = files.ca
        return identity
    }

    func issue(node: String, cluster: String = "c") throws -> NodeIdentity {
        let identity = try ca.issue(node: node, cluster: cluster)
        try identity.write(to: directory + "/" + node)
        return identity
    }
}
