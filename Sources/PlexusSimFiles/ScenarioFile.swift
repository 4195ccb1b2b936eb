import Foundation
import PlexusCore
import PlexusSim
import PlexusYAML
import Yams

/// Reads `simulations/*.yaml` into a `Scenario`. Strict like the topology reader: unknown keys,
/// unknown event kinds, bad values and selections of nodes the topology does not have are errors
/// naming the key path (`events[3].crash.count`) and line, so a scenario cannot silently test
/// something other than what it says.
///
/// Format:
/// ```yaml
/// name: crash-stop
/// description: free text                  # optional
/// topology: ../topology/lan-100.yaml      # relative to this file's directory, or an inline
///                                         # topology mapping (TopologyFile's format)
/// nodes: 100            # optional: resize the topology (Topology.resized(to:))
/// seeds: [1, 2]         # default [1]; a single number is one seed
/// duration: 60s         # required
/// profile: lan          # lan | wan (MeshSettings.lan / .wan), default lan
/// settings:             # optional overrides of MeshSettings fields, snake_case:
///   probe_interval: 1s  # probe_timeout, indirect_checks, gossip_interval, gossip_nodes, eager_gossip_delay,
///                       # retransmit_mult, suspicion_minimum, suspicion_max_multiplier, suspicion_confirmations,
///                       # anti_entropy_interval, awareness_max_multiplier, watched_neighbors
/// start: {initial: 50, stagger: 20ms, seed_nodes: 3}   # all optional (Scenario.Start defaults; initial default = all nodes)
/// measure_from: 30s     # default 0; at most `duration`
/// events:               # each item: `at` (at most `duration`) and exactly one event key
///   - at: 10s
///     join: {count: 10, rate: 10/s}       # rate optional (default: all at once)
///   - at: 20s
///     crash: {count: 3}                    # a selection (below); optional reset_links: true|false (default false)
///   - at: 20s
///     restart: {nodes: [acme/eu1/n003]}
///   - at: 30s
///     pause: {count: 1, for: 3s}           # for required
///   - at: 40s
///     partition: {groups: [{organisation: acme}, {organisation: beta}], for: 30s}   # for optional
///   - at: 70s
///     heal: {}
///   - at: 0s
///     loss: 5%                             # on every link, until set again
///   - at: 5s
///     one_way_loss: {from: {nodes: [a/b/c]}, to: {count: 2}, rate: 50%, for: 10s}   # for optional
///   - at: 0s
///     clock_skew: {count: 5, drift: 0.001, offset: 2s}   # drift, offset default 0; offset may be negative
///   - at: 30s
///     updates: {count: 200, rate: 50/s}    # both required
///   - at: 50s
///     leave: {count: 1}
///   - at: 20s             # needs `routing`: messages from random running nodes of `from` (default all)
///     traffic: {from: {count: 5}, to: [acme.alice] | all, topics: [orders.eu], topic_share: 20%, count: 500, rate: 50/s}
///   - at: 30s             # the link a–b down for `down` at the start of every `period`, for `for`
///     flap: {between: [acme/eu1/n001, acme/eu1/n002], period: 2s, down: 1s, for: 20s, reset_links: false}
/// routing:              # optional: every node also runs the routing core (ScenarioRoutingReader)
///   shape: grid         # full (default) | ring | chain | grid (with columns) | clusters (with gateways, default 1)
///   columns: 5
///   shortcuts: [[acme/eu1/n001, acme/eu1/n009]]   # extra neighbour pairs
///   subjects: [{id: acme.alice, home: acme/eu1/n003}, {count: 20, prefix: agent}]
///   interest: [{patterns: ["orders.>"], nodes: {count: 5}}]
///   fsync: 2ms          # log write before `persisted`; default 2ms
///   payload_bytes: 256  # default 256
///   settings: {min_ack_timeout: 250ms, max_ack_timeout: 5s, hop_limit: 32}   # RoutingSettings, snake_case
/// assertions:           # list of "metric op number" strings; op one of <= < >= > ==;
///                       # numbers may carry s/ms units (converted to seconds)
///   - converged == 1
///   - join_visible_p99 <= 1s
///   - false_dead == 0
/// ```
/// Selections (`Scenario.Selection`): `{count: N}` → `.random(N)`; `{nodes: [ids]}` → `.nodes`;
/// `{organisation: X}` → `.organisation`; `{organisation: X, cluster: Y}` → `.cluster`. Named
/// nodes, organisations and clusters must exist in the (resized) topology; a count must be within
/// 1...node count. Durations are `500ms`, `1.5s`, `2m`, `1h`, `250us` (a bare number is seconds);
/// fractions `0.05` or `5%`; rates `10/s` or a number per second.
public enum ScenarioFile {
    static let topLevelKeys = ["name", "description", "topology", "nodes", "seeds", "duration", "profile",
                               "settings", "start", "measure_from", "routing", "events", "assertions"]

    /// `baseDirectory` resolves a relative `topology:` path; errors inside that file carry its
    /// own key and line, with the message naming the file.
    public static func load(yaml text: String, baseDirectory: String) throws(ConfigurationError) -> Scenario {
        var root = try YAMLMapping.document(text)
        try root.rejectUnknownKeys(allowing: topLevelKeys)
        guard let name = try root.string("name") else { throw root.missing("name") }
        try TopologyFile.checkName(name, key: root.keyPath("name"), line: root.keyLine("name"))
        let description = try root.string("description") ?? ""
        var topology = try readTopology(&root, baseDirectory: baseDirectory, defaultName: name)
        if let count = try root.int("nodes") {
            guard (1...TopologyFile.maxGeneratedNodes).contains(count) else {
                throw root.error("nodes", "must be within 1...\(TopologyFile.maxGeneratedNodes), got \(count)")
            }
            topology = topology.resized(to: count)
        }
        let seeds = try readSeeds(&root)
        guard let duration = try root.duration("duration") else { throw root.missing("duration") }
        guard duration > .zero else { throw root.error("duration", "must be longer than 0") }
        let profile = try root.choice("profile", ["lan", "wan"]) ?? "lan"
        var settings = profile == "wan" ? MeshSettings.wan : MeshSettings.lan
        if var overrides = try root.mapping("settings") {
            settings = try MeshSettingsReader.read(&overrides, over: settings)
        }
        let start = try readStart(&root, nodeCount: topology.nodes.count)
        let measureFrom = try root.duration("measure_from") ?? .zero
        guard measureFrom <= duration else { throw root.error("measure_from", "must not be after duration (\(duration))") }
        var eventReader = ScenarioEventReader(topology: topology, duration: duration)
        let routing = try ScenarioRoutingReader(events: eventReader).read(&root)
        eventReader.routing = routing
        let events = try eventReader.read(&root)
        let assertions = try ScenarioAssertionReader.read(&root)
        try root.rejectUnknownKeys()
        return Scenario(name: name, description: description, topology: topology, seeds: seeds, duration: duration,
                        settings: settings, start: start, events: events, measureFrom: measureFrom, assertions: assertions,
                        routing: routing)
    }

    public static func load(path: String) throws(ConfigurationError) -> Scenario {
        let text = try TopologyFile.readText(path)
        return try load(yaml: text, baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// `topology:` is a file path (relative to `baseDirectory`) or an inline mapping.
    static func readTopology(_ root: inout YAMLMapping, baseDirectory: String, defaultName: String) throws(ConfigurationError) -> Topology {
        guard let node = root.rawNode("topology") else { throw root.missing("topology") }
        switch node {
        case .scalar(let scalar):
            let given = scalar.string
            let joined = given.hasPrefix("/") || baseDirectory.isEmpty ? given : baseDirectory + "/" + given
            let path = URL(fileURLWithPath: joined).standardized.path
            do {
                return try TopologyFile.load(path: path)
            } catch {
                if error.key == "(file)" {
                    throw root.error("topology", node, "cannot read topology file '\(given)' (\(path))")
                }
                throw ConfigurationError(key: error.key, line: error.line, message: "in topology file \(path): \(error.message)")
            }
        case .mapping:
            var inline = try YAMLMapping(node, path: root.keyPath("topology"))
            return try TopologyFile.read(&inline, defaultName: defaultName)
        default:
            throw root.error("topology", node, "must be a topology file path or an inline topology mapping, got \(YAMLMapping.shape(node))")
        }
    }

    /// `seeds: [1, 2]` or `seeds: 7`; default `[1]`.
    static func readSeeds(_ root: inout YAMLMapping) throws(ConfigurationError) -> [UInt64] {
        guard let node = root.rawNode("seeds") else { return [1] }
        func seed(_ element: Node, key: String) throws(ConfigurationError) -> UInt64 {
            guard case .scalar(let scalar) = element, let value = UInt64(scalar.string.filter { $0 != "_" }) else {
                throw ConfigurationError(key: key, line: element.mark?.line,
                                         message: "must be a non-negative integer seed, got \(YAMLMapping.shape(element))")
            }
            return value
        }
        guard case .sequence(let elements) = node else { return [try seed(node, key: root.keyPath("seeds"))] }
        if elements.isEmpty { throw root.error("seeds", node, "must list at least one seed") }
        var seeds: [UInt64] = []
        for (index, element) in elements.enumerated() {
            seeds.append(try seed(element, key: root.elementPath("seeds", index)))
        }
        return seeds
    }

    static func readStart(_ root: inout YAMLMapping, nodeCount: Int) throws(ConfigurationError) -> Scenario.Start {
        var start = Scenario.Start()
        guard var mapping = try root.mapping("start") else { return start }
        try mapping.rejectUnknownKeys(allowing: ["initial", "stagger", "seed_nodes"])
        if let initial = try mapping.int("initial") {
            guard (0...nodeCount).contains(initial) else {
                throw mapping.error("initial", "must be within 0...\(nodeCount) (the topology's nodes), got \(initial)")
            }
            start.initial = initial
        }
        start.stagger = try mapping.duration("stagger") ?? start.stagger
        if let seedNodes = try mapping.int("seed_nodes") {
            guard (1...max(1, nodeCount)).contains(seedNodes) else {
                throw mapping.error("seed_nodes", "must be within 1...\(nodeCount), got \(seedNodes)")
            }
            start.seedNodes = seedNodes
        }
        return start
    }
}
