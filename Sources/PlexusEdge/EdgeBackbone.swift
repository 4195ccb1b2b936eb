import Crypto
import PlexusCore

/// An edge as a backbone entry of the gossiped registry (the original's "backbone": a NATS or
/// Redis a cluster's agents talk to), with its health in `metadata`, so any node of the mesh can
/// see which clusters have which local servers and whether they work.
public enum EdgeBackbone {
    /// The same id every time for this node's edge of this kind: a UUID from a hash of both, so
    /// a restarted node updates its entry instead of adding one.
    public static func systemID(node: NodeID, kind: String) -> String {
        var bytes = Array(SHA256.hash(data: Array("plexus-edge\u{0}\(node.rawValue)\u{0}\(kind)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // version 8: application-defined
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 9562 variant
        let hex = bytes.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    /// The record this node publishes for its edge. `node` is `organisation/cluster/name`.
    public static func record(_ health: EdgeHealth, node: NodeID, updatedAt: Int64) -> BackboneRecord {
        let parts = node.rawValue.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var metadata: JSONObject = ["node": .string(node.rawValue), "edge": health.json]
        metadata["kind"] = .string(health.kind)
        let fields: JSONObject = [
            "system_id": .string(systemID(node: node, kind: health.kind)),
            "org_ids": .string(parts.count == 3 ? parts[0] : ""),
            "cluster_id": .string(parts.count == 3 ? parts[1] : ""),
            "public_url": .string(health.server),
            "metadata": .object(metadata),
            "name": .string("\(health.kind) edge of \(node.rawValue)"),
        ]
        return BackboneRecord(fields: fields, owner: node, updatedAt: updatedAt)
    }
}
