import PlexusCore

/// A node certificate that a trusted CA vouched for, reduced to what the mesh acts on: who the
/// node is, the Ed25519 key its registry entries must be signed with, and its organisation's
/// namespace.
public struct VerifiedNode: Sendable, Equatable {
    public var nodeID: NodeID
    public var organisation: String
    public var cluster: String
    public var name: String
    /// Raw Ed25519 public key (32 bytes) from the certificate's `urn:plexus:ed25519:` SAN.
    public var signingKey: [UInt8]
    /// Copied from the `TrustedOrganisation` whose CA signed the certificate.
    public var namespace: Namespace
    /// The certificate's notValidBefore, in seconds since 1970: orders certificates of one node,
    /// so an older one cannot take the node's registry key back from a newer one.
    public var issuedAt: Int64

    public init(nodeID: NodeID, organisation: String, cluster: String, name: String, signingKey: [UInt8], namespace: Namespace,
                issuedAt: Int64 = 0) {
        self.issuedAt = issuedAt
        self.nodeID = nodeID
        self.organisation = organisation
        self.cluster = cluster
        self.name = name
        self.signingKey = signingKey
        self.namespace = namespace
    }
}
