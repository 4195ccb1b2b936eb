import PlexusCore
import PlexusSim
import PlexusYAML
import Yams

/// Reads a scenario's `events:` list (format in `ScenarioFile`). Holds the final topology so a
/// selection naming a node, organisation or cluster the mesh does not have fails at load time,
/// with its line, rather than selecting nothing during the run.
struct ScenarioEventReader {
    typealias Event = Scenario.Event
    typealias Selection = Scenario.Selection

    static let kinds = ["join", "crash", "restart", "pause", "partition", "heal", "loss", "one_way_loss",
                        "clock_skew", "updates", "leave", "traffic", "flap"]

    let topology: Topology
    let duration: Duration
    let nodeIDs: Set<NodeID>
    /// The scenario's routing block (traffic needs one; its subjects are the valid `to`).
    var routing: Scenario.Routing?

    init(topology: Topology, duration: Duration) {
        self.topology = topology
        self.duration = duration
        self.nodeIDs = Set(topology.nodes.map(\.id))
    }

    func read(_ root: inout YAMLMapping) throws(ConfigurationError) -> [Scenario.TimedEvent] {
        guard let items = try root.mappings("events") else { return [] }
        var events: [Scenario.TimedEvent] = []
        for var item in items {
            events.append(try readItem(&item))
        }
        return events
    }

    /// One `- at: …` item: `at` plus exactly one known event key.
    func readItem(_ item: inout YAMLMapping) throws(ConfigurationError) -> Scenario.TimedEvent {
        let given = item.keys.filter { $0 != "at" }
        let known = Self.kinds.joined(separator: ", ")
        for key in given where !Self.kinds.contains(key) {
            throw item.error(key, "unknown event '\(key)' (known: \(known))")
        }
        guard let kind = given.first else {
            throw ConfigurationError(key: item.path, line: item.line, message: "needs an event besides 'at' (one of: \(known))")
        }
        if given.count > 1 {
            throw item.error(given[1], "one event per item, and this one already has '\(kind)'")
        }
        guard let at = try item.duration("at") else { throw item.missing("at") }
        guard at <= duration else { throw item.error("at", "is after the scenario's duration (\(duration))") }
        let event = try readEvent(kind, &item)
        try item.rejectUnknownKeys()
        return Scenario.TimedEvent(at: at, event: event)
    }

    func readEvent(_ kind: String, _ item: inout YAMLMapping) throws(ConfigurationError) -> Event {
        switch kind {
        case "loss":
            guard let loss = try item.fraction("loss") else { throw item.missing("loss") }
            return .loss(loss)
        case "heal":
            let node = item.rawNode("heal")
            switch node {
            case .mapping(let mapping) where mapping.count == 0: return .heal
            case .scalar(let scalar) where scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null": return .heal
            default: throw item.error("heal", node, "takes no settings: write `heal: {}`")
            }
        default:
            guard var body = try item.mapping(kind) else { throw item.missing(kind) }
            let event = try readBody(kind, &body)
            try body.rejectUnknownKeys()
            return event
        }
    }

    func readBody(_ kind: String, _ body: inout YAMLMapping) throws(ConfigurationError) -> Event {
        switch kind {
        case "join":
            let count = try requiredCount(&body, "count")
            return .join(count: count, rate: try body.rate("rate"))
        case "crash":
            let selection = try readSelection(&body)
            return .crash(selection, resetLinks: try body.bool("reset_links") ?? false)
        case "restart":
            return .restart(try readSelection(&body))
        case "pause":
            let selection = try readSelection(&body)
            return .pause(selection, for: try requiredPositiveDuration(&body, "for"))
        case "partition":
            return try readPartition(&body)
        case "one_way_loss":
            let from = try nestedSelection(&body, "from")
            let to = try nestedSelection(&body, "to")
            guard let rate = try body.fraction("rate") else { throw body.missing("rate") }
            return .oneWayLoss(from: from, to: to, rate: rate, for: try optionalPositiveDuration(&body, "for"))
        case "clock_skew":
            let selection = try readSelection(&body)
            let drift = try body.double("drift") ?? 0
            let offset = try body.duration("offset", allowNegative: true) ?? .zero
            return .clockSkew(selection, drift: drift, offset: offset)
        case "updates":
            let count = try requiredCount(&body, "count")
            guard let rate = try body.rate("rate") else { throw body.missing("rate") }
            return .updates(count: count, rate: rate)
        case "traffic":
            return .traffic(try readTraffic(&body))
        case "flap":
            return .flap(try readFlap(&body))
        default: // "leave": `kinds` and this switch list the same events
            return .leave(try readSelection(&body))
        }
    }

    /// `{from: <selection>, to: [subjects] | all, topics: [topics], topic_share: 20%, count: N, rate: R/s}`.
    func readTraffic(_ body: inout YAMLMapping) throws(ConfigurationError) -> Scenario.Traffic {
        guard let routing else {
            throw ConfigurationError(key: body.path, line: body.line, message: "needs the scenario's routing block (subjects, interest)")
        }
        try body.rejectUnknownKeys(allowing: ["from", "to", "topics", "topic_share", "count", "rate"])
        let from: Selection? = body.keys.contains("from") ? try nestedSelection(&body, "from") : nil
        var to: [String] = []
        if let node = body.rawNode("to") {
            if case .scalar(let scalar) = node, scalar.string == "all" {
                to = routing.subjectIDs
                if to.isEmpty { throw body.error("to", node, "'all' but the routing block places no subjects") }
            } else {
                guard let list = try body.strings("to"), !list.isEmpty else {
                    throw body.error("to", node, "must be a list of subject ids or 'all'")
                }
                let known = Set(routing.subjectIDs)
                if let unknown = list.first(where: { !known.contains($0) }) {
                    throw body.error("to", node, "unknown subject '\(unknown)' (place it under routing.subjects)")
                }
                to = list
            }
        }
        let topics = try body.strings("topics") ?? []
        for topic in topics {
            do {
                _ = try Topic(topic)
            } catch {
                throw body.error("topics", "'\(topic)': \(error.message)")
            }
        }
        if to.isEmpty && topics.isEmpty { throw body.error("to", "traffic needs to (subjects) or topics, or both") }
        let share = try body.fraction("topic_share")
        if share != nil && (to.isEmpty || topics.isEmpty) {
            throw body.error("topic_share", "only applies when both to and topics are given")
        }
        let count = try requiredCount(&body, "count")
        guard let rate = try body.rate("rate") else { throw body.missing("rate") }
        return Scenario.Traffic(from: from, to: to, topics: topics, topicShare: share, count: count, rate: rate)
    }

    /// `{between: [a, b], period: 2s, down: 500ms, for: 20s, reset_links: false}`.
    func readFlap(_ body: inout YAMLMapping) throws(ConfigurationError) -> Scenario.Flap {
        try body.rejectUnknownKeys(allowing: ["between", "period", "down", "for", "reset_links"])
        guard let pair = try body.sequence("between") else { throw body.missing("between") }
        guard pair.count == 2 else { throw body.error("between", "must be two node ids [a, b]") }
        let ids = try readNodeIDs(pair, mapping: body, key: body.keyPath("between"))
        guard ids[0] != ids[1] else { throw body.error("between", "names '\(ids[0])' twice") }
        let period = try requiredPositiveDuration(&body, "period")
        let down = try requiredPositiveDuration(&body, "down")
        guard down < period else { throw body.error("down", "must be shorter than period (\(period))") }
        let span = try requiredPositiveDuration(&body, "for")
        return Scenario.Flap(a: ids[0], b: ids[1], period: period, down: down, duration: span,
                             resetLinks: try body.bool("reset_links") ?? false)
    }

    func readPartition(_ body: inout YAMLMapping) throws(ConfigurationError) -> Event {
        guard let groupItems = try body.mappings("groups") else { throw body.missing("groups") }
        if groupItems.isEmpty { throw body.error("groups", "must list at least one group") }
        var groups: [Selection] = []
        for var group in groupItems {
            groups.append(try readSelection(&group))
            try group.rejectUnknownKeys()
        }
        return .partition(groups: groups, for: try optionalPositiveDuration(&body, "for"))
    }

    func nestedSelection(_ body: inout YAMLMapping, _ key: String) throws(ConfigurationError) -> Selection {
        guard var mapping = try body.mapping(key) else { throw body.missing(key) }
        let selection = try readSelection(&mapping)
        try mapping.rejectUnknownKeys()
        return selection
    }

    /// `{count: N}`, `{nodes: [ids]}`, `{organisation: X}` or `{organisation: X, cluster: Y}`,
    /// read from the event's own mapping (which may hold other keys such as `for`).
    func readSelection(_ mapping: inout YAMLMapping) throws(ConfigurationError) -> Selection {
        let count = try mapping.int("count")
        let nodes = try mapping.sequence("nodes")
        let organisation = try mapping.string("organisation")
        let cluster = try mapping.string("cluster")
        let forms = [count != nil, nodes != nil, organisation != nil].filter { $0 }.count
        guard forms == 1 else {
            let problem = forms == 0 ? "must select nodes with one of" : "must select nodes with only one of"
            throw ConfigurationError(key: mapping.path, line: mapping.line,
                                     message: "\(problem): count, nodes, organisation (optionally with cluster)")
        }
        if cluster != nil && organisation == nil { throw mapping.error("cluster", "needs organisation") }
        if let count {
            let total = nodeIDs.count
            guard (1...max(1, total)).contains(count) else {
                throw mapping.error("count", "must be within 1...\(total) (the topology's nodes), got \(count)")
            }
            return .random(count)
        }
        if let nodes {
            return .nodes(try readNodeIDs(nodes, mapping: mapping))
        }
        let orgName = organisation ?? ""
        guard let org = topology.organisations.first(where: { $0.name == orgName }) else {
            let defined = topology.organisations.map(\.name).joined(separator: ", ")
            throw mapping.error("organisation", "unknown organisation '\(orgName)' (topology has: \(defined))")
        }
        guard let cluster else { return .organisation(orgName) }
        guard org.clusters.contains(where: { $0.name == cluster }) else {
            let defined = org.clusters.map(\.name).joined(separator: ", ")
            throw mapping.error("cluster", "unknown cluster '\(cluster)' in '\(orgName)' (it has: \(defined))")
        }
        return .cluster(organisation: orgName, cluster: cluster)
    }

    func readNodeIDs(_ elements: [Node], mapping: YAMLMapping) throws(ConfigurationError) -> [NodeID] {
        if elements.isEmpty { throw mapping.error("nodes", "must list at least one node id") }
        return try readNodeIDs(elements, mapping: mapping, key: mapping.keyPath("nodes"))
    }

    /// Node ids of a list whose path is `key` (elements are `key[i]`).
    func readNodeIDs(_ elements: [Node], mapping: YAMLMapping, key listKey: String) throws(ConfigurationError) -> [NodeID] {
        var ids: [NodeID] = []
        for (index, element) in elements.enumerated() {
            let key = "\(listKey)[\(index)]"
            guard case .scalar(let scalar) = element else {
                throw ConfigurationError(key: key, line: element.mark?.line, message: "must be a node id, got \(YAMLMapping.shape(element))")
            }
            let id = NodeID(scalar.string)
            guard nodeIDs.contains(id) else {
                throw ConfigurationError(key: key, line: element.mark?.line,
                                         message: "unknown node '\(scalar.string)' (ids are organisation/cluster/node, e.g. '\(topology.nodes.first?.id.rawValue ?? "")')")
            }
            ids.append(id)
        }
        return ids
    }

    func requiredCount(_ mapping: inout YAMLMapping, _ key: String) throws(ConfigurationError) -> Int {
        guard let count = try mapping.int(key) else { throw mapping.missing(key) }
        guard count >= 1 else { throw mapping.error(key, "must be at least 1, got \(count)") }
        return count
    }

    func requiredPositiveDuration(_ mapping: inout YAMLMapping, _ key: String) throws(ConfigurationError) -> Duration {
        guard let value = try optionalPositiveDuration(&mapping, key) else { throw mapping.missing(key) }
        return value
    }

    func optionalPositiveDuration(_ mapping: inout YAMLMapping, _ key: String) throws(ConfigurationError) -> Duration? {
        guard let value = try mapping.duration(key) else { return nil }
        guard value > .zero else { throw mapping.error(key, "must be longer than 0") }
        return value
    }
}
