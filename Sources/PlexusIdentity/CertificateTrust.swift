import Foundation
import PlexusCore

/// The registry trust of real nodes: a node entry is believed only if it carries a certificate
/// that a trusted CA issued to exactly that node, and the entry's signing key is the one the
/// certificate names. Keys are therefore vouched for, not pinned on first sight, and a foreign
/// organisation's nodes are held to its namespace.
///
/// The node entry payload carries `"certificate"` (standard base64 of the certificate DER) and
/// `"signing_key"` (hex of the raw Ed25519 public key). No clock is consulted — admission must
/// give the same answer on every node; expiry is enforced at the TLS handshake.
public struct CertificateTrust: RegistryTrust {
    public let store: TrustStore

    public init(store: TrustStore) {
        self.store = store
    }

    /// Every admitted key is CA-vouched, so a re-issued certificate with a new key is believed.
    public var pinsFirstKey: Bool { false }

    public func admitNode(owner: NodeID, payload: JSONValue) -> NodeAdmission {
        guard case .string(let base64)? = payload["certificate"], let der = Data(base64Encoded: base64) else {
            return .rejected(.malformed)
        }
        guard case .success(let verified) = store.verify(certificateDER: Array(der)) else {
            return .rejected(.badSignature)
        }
        guard verified.nodeID == owner else { return .rejected(.namespace) }
        guard case .string(let hex)? = payload["signing_key"], Hex.decode(hex) == verified.signingKey else {
            return .rejected(.badSignature)
        }
        guard verified.namespace.allowsCluster(verified.cluster) else { return .rejected(.namespace) }
        // What the entry says about the node must be what its certificate says: the API shows it.
        for (key, value) in [("organisation", verified.organisation), ("cluster", verified.cluster), ("name", verified.name)] {
            if let claimed = payload[key], claimed != .string(value) { return .rejected(.malformed) }
        }
        return .admitted(
            NodeCredential(signingKey: verified.signingKey, organisation: verified.organisation, namespace: verified.namespace,
                           issuedAt: verified.issuedAt))
    }
}
