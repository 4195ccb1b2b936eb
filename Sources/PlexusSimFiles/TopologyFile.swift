import Foundation
import PlexusCore
import PlexusSim
import PlexusYAML
import Yams

/// Reads `topology/*.yaml` into a `Topology`. Strict like the node config: an unknown key, a bad
/// value or a name that cannot form a node id is an error naming the key path and line, so a
/// typo fails the run instead of silently simulating a different mesh.
///
/// Format:
/// ```yaml
/// name: lan-50             # optional; default: the file name without extension
///                          # (inline in a scenario: the scenario's name)
/// link_classes:            # name → one-way latency ± jitter (uniform), loss fraction
///   lan: {latency: 1ms, jitter: 0.5ms, loss: 0}    # latency required; jitter, loss default 0
///   metro: {latency: 5ms, jitter: 1ms}
///   wan: {latency: 40ms, jitter: 5ms, loss: 0.1%}
/// links:                   # which class joins two nodes
///   same_cluster: lan              # optional, default lan (or the only class defined)
///   same_organisation: metro       # optional, default = same_cluster
///   cross_organisation: wan        # optional, default = same_organisation
/// organisations:
///   - name: acme
///     clusters:
///       - name: eu1
///         nodes: 25        # a count → names n001..n025 (Topology.generatedName), or a list of names
///       - name: us1
///         nodes: [gw, a, b]
///     namespace:           # optional: what the other organisations let acme announce
///       subjects: ["acme.*"]           # default: subject ids "<org>.*"
///       backbones: ["acme-*"]          # default: backbone ids "<org>-*"
///       clusters: [eu1, us1]           # default: its own clusters
/// ```
/// Durations are `500ms`, `1.5s`, `2m`, `1h`, `250us` (a bare number is seconds); loss is a
/// fraction within 0...1 or a percentage. If `link_classes` is omitted it is `lan: {latency: 1ms,
/// jitter: 0.5ms}` and every link is `lan`. Names (topology, classes, organisations, clusters,
/// nodes) must be non-empty, without `/` or spaces; node ids are `organisation/cluster/node` and
/// must be unique. Jitter may not exceed latency (a link cannot deliver before it was sent).
public enum TopologyFile {
    static let topLevelKeys = ["name", "link_classes", "links", "organisations"]
    /// Generated clusters are capped so a typo (`nodes: 1000000`) fails fast instead of exhausting memory.
    static let maxGeneratedNodes = 100_000

    public static func load(yaml text: String) throws(ConfigurationError) -> Topology {
        var root = try YAMLMapping.document(text)
        return try read(&root, defaultName: "topology")
    }

    public static func load(path: String) throws(ConfigurationError) -> Topology {
        let text = try readText(path)
        var root = try YAMLMapping.document(text)
        return try read(&root, defaultName: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
    }

    /// Reads a topology mapping: a whole file, or the inline `topology:` of a scenario.
    static func read(_ root: inout YAMLMapping, defaultName: String) throws(ConfigurationError) -> Topology {
        try root.rejectUnknownKeys(allowing: topLevelKeys)
        var name = defaultName
        if let given = try root.string("name") {
            try checkName(given, key: root.keyPath("name"), line: root.keyLine("name"))
            name = given
        }
        let classes = try readLinkClasses(&root)
        let links = try readLinks(&root, classes: classes)
        let organisations = try readOrganisations(&root)
        try root.rejectUnknownKeys()
        let topology = Topology(name: name, linkClasses: classes, links: links, organisations: organisations)
        if let problem = topology.validate() {
            let key = problem.hasPrefix("links") ? "links" : "organisations"
            throw root.error(key, problem)
        }
        return topology
    }

    static func readLinkClasses(_ root: inout YAMLMapping) throws(ConfigurationError) -> [String: LinkClass] {
        guard var mapping = try root.mapping("link_classes") else { return ["lan": .lan] }
        var classes: [String: LinkClass] = [:]
        for key in mapping.keys {
            try checkName(key, key: mapping.keyPath(key), line: mapping.keyLine(key))
            guard var entry = try mapping.mapping(key) else { continue }
            try entry.rejectUnknownKeys(allowing: ["latency", "jitter", "loss"])
            guard let latency = try entry.duration("latency") else { throw entry.missing("latency") }
            let jitter = try entry.duration("jitter") ?? .zero
            if jitter > latency { throw entry.error("jitter", "must not exceed latency (\(latency))") }
            let loss = try entry.fraction("loss") ?? 0
            classes[key] = LinkClass(latency: latency, jitter: jitter, loss: loss)
        }
        try mapping.rejectUnknownKeys()
        if classes.isEmpty { throw root.error("link_classes", "must define at least one link class") }
        return classes
    }

    static func readLinks(_ root: inout YAMLMapping, classes: [String: LinkClass]) throws(ConfigurationError) -> Topology.LinkRules {
        let fallback = classes["lan"] == nil && classes.count == 1 ? classes.keys.first ?? "lan" : "lan"
        guard var links = try root.mapping("links") else {
            return Topology.LinkRules(sameCluster: fallback, sameOrganisation: fallback, crossOrganisation: fallback)
        }
        try links.rejectUnknownKeys(allowing: ["same_cluster", "same_organisation", "cross_organisation"])
        func linkClass(_ key: String) throws(ConfigurationError) -> String? {
            guard let name = try links.string(key) else { return nil }
            guard classes[name] != nil else {
                throw links.error(key, "unknown link class '\(name)' (defined: \(classes.keys.sorted().joined(separator: ", ")))")
            }
            return name
        }
        let sameCluster = try linkClass("same_cluster") ?? fallback
        let sameOrganisation = try linkClass("same_organisation") ?? sameCluster
        let crossOrganisation = try linkClass("cross_organisation") ?? sameOrganisation
        return Topology.LinkRules(sameCluster: sameCluster, sameOrganisation: sameOrganisation, crossOrganisation: crossOrganisation)
    }

    static func readOrganisations(_ root: inout YAMLMapping) throws(ConfigurationError) -> [Topology.Organisation] {
        guard let items = try root.mappings("organisations") else { throw root.missing("organisations") }
        var organisations: [Topology.Organisation] = []
        var seen = Set<String>()
        for var item in items {
            try item.rejectUnknownKeys(allowing: ["name", "clusters", "namespace"])
            let name = try requiredName(&item)
            guard seen.insert(name).inserted else { throw item.error("name", "duplicate organisation '\(name)'") }
            guard let clusterItems = try item.mappings("clusters") else { throw item.missing("clusters") }
            if clusterItems.isEmpty { throw item.error("clusters", "must list at least one cluster") }
            var clusters: [Topology.Cluster] = []
            var seenClusters = Set<String>()
            for var clusterItem in clusterItems {
                try clusterItem.rejectUnknownKeys(allowing: ["name", "nodes"])
                let clusterName = try requiredName(&clusterItem)
                guard seenClusters.insert(clusterName).inserted else {
                    throw clusterItem.error("name", "duplicate cluster '\(clusterName)' in organisation '\(name)'")
                }
                clusters.append(Topology.Cluster(name: clusterName, nodes: try readNodes(&clusterItem)))
            }
            var namespace: Namespace?
            if var granted = try item.mapping("namespace") {
                namespace = Namespace(subjects: try granted.strings("subjects") ?? [], backbones: try granted.strings("backbones") ?? [],
                                      clusters: try granted.strings("clusters") ?? clusters.map(\.name))
                try granted.rejectUnknownKeys()
            }
            organisations.append(Topology.Organisation(name: name, clusters: clusters, namespace: namespace))
        }
        return organisations
    }

    /// `nodes: 25` (generated names) or `nodes: [gw, a, b]`.
    static func readNodes(_ cluster: inout YAMLMapping) throws(ConfigurationError) -> [String] {
        guard let node = cluster.rawNode("nodes") else { throw cluster.missing("nodes") }
        switch node {
        case .scalar:
            guard let count = node.int, (0...maxGeneratedNodes).contains(count) else {
                throw cluster.error("nodes", node, "must be a node count within 0...\(maxGeneratedNodes) or a list of names, got \(YAMLMapping.shape(node))")
            }
            return (0..<count).map(Topology.generatedName)
        case .sequence(let elements):
            var names: [String] = []
            var seen = Set<String>()
            for (index, element) in elements.enumerated() {
                let key = cluster.elementPath("nodes", index)
                guard case .scalar(let scalar) = element else {
                    throw ConfigurationError(key: key, line: element.mark?.line, message: "must be a node name, got \(YAMLMapping.shape(element))")
                }
                try checkName(scalar.string, key: key, line: element.mark?.line)
                guard seen.insert(scalar.string).inserted else {
                    throw ConfigurationError(key: key, line: element.mark?.line, message: "duplicate node '\(scalar.string)' in this cluster")
                }
                names.append(scalar.string)
            }
            return names
        default:
            throw cluster.error("nodes", node, "must be a node count or a list of names, got \(YAMLMapping.shape(node))")
        }
    }

    static func requiredName(_ mapping: inout YAMLMapping) throws(ConfigurationError) -> String {
        guard let name = try mapping.string("name") else { throw mapping.missing("name") }
        try checkName(name, key: mapping.keyPath("name"), line: mapping.keyLine("name"))
        return name
    }

    /// Names become parts of `organisation/cluster/node` ids and of log lines, so they may not be
    /// empty or contain `/`, spaces or control characters.
    static func checkName(_ name: String, key: String, line: Int?) throws(ConfigurationError) {
        if name.isEmpty || name.contains("/") || name.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) {
            throw ConfigurationError(key: key, line: line, message: "must be a non-empty name without '/' or spaces, got '\(name)'")
        }
    }

    static func readText(_ path: String) throws(ConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(key: "(file)", line: nil, message: "cannot read \(path) as UTF-8 text")
        }
        return text
    }
}
