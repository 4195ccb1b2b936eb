import PlexusCore
import PlexusSim
import PlexusYAML
import Yams

/// Reads a scenario's `routing:` block (format in `ScenarioFile`): the neighbour shape, subjects,
/// interest, the simulated fsync and payload size, and `RoutingSettings` overrides. Node ids and
/// selections are checked against the topology, subject ids against the registry's rules, topic
/// patterns against the topic syntax — each error names its key path and line.
struct ScenarioRoutingReader {
    static let keys = ["shape", "columns", "gateways", "shortcuts", "subjects", "interest", "fsync", "payload_bytes", "settings"]
    static let shapes = ["full", "ring", "chain", "grid", "clusters"]

    let events: ScenarioEventReader

    func read(_ root: inout YAMLMapping) throws(ConfigurationError) -> Scenario.Routing? {
        guard var mapping = try root.mapping("routing") else { return nil }
        try mapping.rejectUnknownKeys(allowing: Self.keys)
        var routing = Scenario.Routing()
        routing.shape = try readShape(&mapping)
        routing.shortcuts = try readShortcuts(&mapping)
        routing.subjects = try readSubjects(&mapping)
        routing.interest = try readInterest(&mapping, subjects: routing.subjectIDs)
        if let fsync = try mapping.duration("fsync") { routing.fsyncDelay = fsync }
        if let bytes = try mapping.int("payload_bytes") {
            guard (1...1_000_000).contains(bytes) else { throw mapping.error("payload_bytes", "must be within 1...1000000, got \(bytes)") }
            routing.payloadBytes = bytes
        }
        if var settings = try mapping.mapping("settings") {
            routing.settings = try Self.readSettings(&settings)
        }
        try mapping.rejectUnknownKeys()
        return routing
    }

    func readShape(_ mapping: inout YAMLMapping) throws(ConfigurationError) -> Scenario.Shape {
        let name = try mapping.choice("shape", Self.shapes) ?? "full"
        let columns = try mapping.int("columns")
        let gateways = try mapping.int("gateways")
        if columns != nil && name != "grid" { throw mapping.error("columns", "only applies to shape: grid") }
        if gateways != nil && name != "clusters" { throw mapping.error("gateways", "only applies to shape: clusters") }
        switch name {
        case "ring": return .ring
        case "chain": return .chain
        case "grid":
            guard let columns else { throw mapping.error("shape", "grid needs columns (nodes per row)") }
            guard columns >= 1 else { throw mapping.error("columns", "must be at least 1, got \(columns)") }
            return .grid(columns: columns)
        case "clusters":
            let k = gateways ?? 1
            guard k >= 1 else { throw mapping.error("gateways", "must be at least 1, got \(k)") }
            return .clusters(gateways: k)
        default:
            return .full
        }
    }

    func readShortcuts(_ mapping: inout YAMLMapping) throws(ConfigurationError) -> [Scenario.Shortcut] {
        guard let elements = try mapping.sequence("shortcuts") else { return [] }
        var shortcuts: [Scenario.Shortcut] = []
        for (index, element) in elements.enumerated() {
            let key = mapping.elementPath("shortcuts", index)
            guard case .sequence(let pair) = element, pair.count == 2 else {
                throw ConfigurationError(key: key, line: element.mark?.line, message: "must be a pair of node ids [a, b]")
            }
            let ids = try events.readNodeIDs(Array(pair), mapping: mapping, key: key)
            guard ids[0] != ids[1] else {
                throw ConfigurationError(key: key, line: element.mark?.line, message: "joins '\(ids[0])' to itself")
            }
            shortcuts.append(Scenario.Shortcut(ids[0], ids[1]))
        }
        return shortcuts
    }

    /// `{id: S, home: node}` or `{count: N, prefix: P}` (ids `P-001`…, default prefix `subject`).
    func readSubjects(_ mapping: inout YAMLMapping) throws(ConfigurationError) -> [Scenario.SubjectPlacement] {
        guard let items = try mapping.mappings("subjects") else { return [] }
        var placements: [Scenario.SubjectPlacement] = []
        var seen = Set<String>()
        for var item in items {
            try item.rejectUnknownKeys(allowing: ["id", "home", "count", "prefix"])
            let placement: Scenario.SubjectPlacement
            if let id = try item.string("id") {
                if item.keys.contains("count") || item.keys.contains("prefix") {
                    throw item.error("id", "a subject is either {id, home} or {count, prefix}")
                }
                try Self.checkSubject(id, &item, "id")
                guard let home = try item.string("home") else { throw item.missing("home") }
                guard events.nodeIDs.contains(NodeID(home)) else {
                    throw item.error("home", "unknown node '\(home)'")
                }
                placement = .at(id, home: NodeID(home))
            } else {
                guard let count = try item.int("count") else {
                    throw ConfigurationError(key: item.path, line: item.line, message: "needs id and home, or count")
                }
                guard (1...100_000).contains(count) else { throw item.error("count", "must be within 1...100000, got \(count)") }
                let prefix = try item.string("prefix") ?? "subject"
                try Self.checkSubject(prefix, &item, "prefix")
                placement = .random(count: count, prefix: prefix)
            }
            try item.rejectUnknownKeys()
            for id in Scenario.Routing(subjects: [placement]).subjectIDs where !seen.insert(id).inserted {
                throw ConfigurationError(key: item.path, line: item.line, message: "subject '\(id)' is placed twice")
            }
            placements.append(placement)
        }
        return placements
    }

    static func checkSubject(_ id: String, _ item: inout YAMLMapping, _ key: String) throws(ConfigurationError) {
        do {
            _ = try SubjectRecord.validate(id: id, body: ["kind": "agent"])
        } catch {
            throw item.error(key, error.message)
        }
    }

    /// `{patterns: [p, …], nodes: <selection>}`. A pattern may not match a directed message's
    /// topic (`direct.<subject>`), or directed messages would fan out as well.
    func readInterest(_ mapping: inout YAMLMapping, subjects: [String]) throws(ConfigurationError) -> [Scenario.InterestPlacement] {
        guard let items = try mapping.mappings("interest") else { return [] }
        var placements: [Scenario.InterestPlacement] = []
        for var item in items {
            try item.rejectUnknownKeys(allowing: ["patterns", "nodes"])
            guard let patterns = try item.strings("patterns"), !patterns.isEmpty else {
                throw item.error("patterns", "must list at least one topic pattern")
            }
            for pattern in patterns {
                let parsed: TopicPattern
                do {
                    parsed = try TopicPattern(pattern)
                } catch {
                    throw item.error("patterns", "'\(pattern)': \(error.message)")
                }
                if let s = subjects.first(where: { parsed.matches(Scenario.Traffic.directTopic($0)) }) {
                    throw item.error("patterns", "'\(pattern)' matches the topic of directed messages to '\(s)' (direct.<subject>)")
                }
            }
            guard var nodes = try item.mapping("nodes") else { throw item.missing("nodes") }
            let selection = try events.readSelection(&nodes)
            try nodes.rejectUnknownKeys()
            try item.rejectUnknownKeys()
            placements.append(Scenario.InterestPlacement(patterns: patterns, nodes: selection))
        }
        return placements
    }

    /// Overrides of `RoutingSettings`, snake_case.
    static func readSettings(_ mapping: inout YAMLMapping) throws(ConfigurationError) -> RoutingSettings {
        var settings = RoutingSettings()
        let durations: [(String, WritableKeyPath<RoutingSettings, Duration>)] = [
            ("min_ack_timeout", \.minAckTimeout), ("max_ack_timeout", \.maxAckTimeout),
            ("max_retry_interval", \.maxRetryInterval), ("failed_hop_hold", \.failedHopHold), ("expiry", \.expiry),
        ]
        let doubles: [(String, WritableKeyPath<RoutingSettings, Double>)] = [
            ("unmeasured_rtt_ms", \.unmeasuredRTTMilliseconds), ("hop_penalty_ms", \.hopPenaltyMilliseconds),
            ("load_penalty_ms", \.loadPenaltyMilliseconds),
        ]
        let ints: [(String, WritableKeyPath<RoutingSettings, Int>)] = [
            ("hop_limit", \.hopLimit), ("outbox_limit", \.outboxLimit), ("max_sends_per_tick", \.maxSendsPerTick),
        ]
        try mapping.rejectUnknownKeys(allowing: durations.map(\.0) + doubles.map(\.0) + ints.map(\.0) + ["max_usable_loss"])
        for (key, field) in durations {
            guard let value = try mapping.duration(key) else { continue }
            guard value > .zero else { throw mapping.error(key, "must be longer than 0") }
            settings[keyPath: field] = value
        }
        for (key, field) in doubles {
            guard let value = try mapping.double(key) else { continue }
            guard value >= 0 else { throw mapping.error(key, "must not be negative, got \(value)") }
            settings[keyPath: field] = value
        }
        for (key, field) in ints {
            guard let value = try mapping.int(key) else { continue }
            guard value >= 1 else { throw mapping.error(key, "must be at least 1, got \(value)") }
            settings[keyPath: field] = value
        }
        // A frame's hop count is one byte: a limit above 255 would never be reached.
        if settings.hopLimit > 255 { throw mapping.error("hop_limit", "must be at most 255 (a frame's hop count is one byte), got \(settings.hopLimit)") }
        if let loss = try mapping.fraction("max_usable_loss") { settings.maxUsableLoss = loss }
        if settings.minAckTimeout > settings.maxAckTimeout {
            throw mapping.error("min_ack_timeout", "must not exceed max_ack_timeout (\(settings.maxAckTimeout))")
        }
        try mapping.rejectUnknownKeys()
        return settings
    }
}
