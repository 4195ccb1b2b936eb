import PlexusCore

/// The node.yaml `plexus topology up` writes for one node. Ports are chosen once and written into
/// the file, so `plexus topology start` brings a node back on the same addresses its peers know.
/// Every string is written as a YAML double-quoted scalar (JSON string syntax), so paths and glob
/// patterns such as `globex.*` need no further thought about YAML's special characters.
struct TopologyNodeConfig: Sendable {
    /// What one other organisation may announce, as this node's `trust` entry for it.
    struct Trust: Sendable {
        var ca: String
        var namespace: Namespace
    }

    var name: String
    var httpPort: Int
    var dataDir: String
    var meshAddress: String
    var seeds: [String]
    var identity: (certificate: String, key: String, signingKey: String, ca: String)
    var trust: [Trust]
    var source: String

    var yaml: String {
        var lines = [
            "# Written by `plexus topology up` from \(source); rewritten by the next `up`.",
            "node: {name: \(quoted(name))}",
            "http: {host: \"127.0.0.1\", port: \(httpPort)}",
            "data_dir: \(quoted(dataDir))",
            "log_level: info",
            "mesh:",
            "  listen: \(quoted(meshAddress))",
            "  seeds: \(list(seeds))",
            "identity:",
            "  certificate: \(quoted(identity.certificate))",
            "  key: \(quoted(identity.key))",
            "  signing_key: \(quoted(identity.signingKey))",
            "  ca: \(quoted(identity.ca))",
        ]
        if !trust.isEmpty { lines.append("trust:") }
        for entry in trust {
            // Explicit lists: an omitted list in node.yaml means "nothing", while a nil list in a
            // `Namespace` means "anything", which `*` says in both.
            lines.append("  - ca: \(quoted(entry.ca))")
            lines.append("    subjects: \(list(entry.namespace.subjects ?? ["*"]))")
            lines.append("    backbones: \(list(entry.namespace.backbones ?? ["*"]))")
            lines.append("    clusters: \(list(entry.namespace.clusters ?? ["*"]))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func quoted(_ text: String) -> String { JSONValue.string(text).jsonString }

    private func list(_ items: [String]) -> String { "[" + items.map(quoted).joined(separator: ", ") + "]" }
}
