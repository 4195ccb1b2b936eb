import PlexusCore
import PlexusYAML

/// Reads a scenario's `settings:` overrides onto the chosen profile. Only the protocol knobs a
/// scenario is meant to vary are accepted; each is checked for a value the protocol can run with
/// (a zero probe interval would spin, zero gossip nodes would never spread news).
enum MeshSettingsReader {
    static func read(_ mapping: inout YAMLMapping, over base: MeshSettings) throws(ConfigurationError) -> MeshSettings {
        var settings = base
        // (key, field, may be zero)
        let durations: [(String, WritableKeyPath<MeshSettings, Duration>, Bool)] = [
            ("probe_interval", \.probeInterval, false),
            ("probe_timeout", \.probeTimeout, false),
            ("gossip_interval", \.gossipInterval, false),
            ("eager_gossip_delay", \.eagerGossipDelay, true),
            ("suspicion_minimum", \.suspicionMinimum, false),
            ("anti_entropy_interval", \.antiEntropyInterval, false),
        ]
        // (key, field, minimum)
        let ints: [(String, WritableKeyPath<MeshSettings, Int>, Int)] = [
            ("indirect_checks", \.indirectChecks, 0),
            ("gossip_nodes", \.gossipNodes, 1),
            ("retransmit_mult", \.retransmitMult, 1),
            ("suspicion_confirmations", \.suspicionConfirmations, 1),
            ("awareness_max_multiplier", \.awarenessMaxMultiplier, 1),
            ("watched_neighbors", \.watchedNeighbors, 0),
        ]
        let known = durations.map(\.0) + ints.map(\.0) + ["suspicion_max_multiplier"]
        try mapping.rejectUnknownKeys(allowing: known)
        for (key, field, mayBeZero) in durations {
            guard let value = try mapping.duration(key) else { continue }
            if !mayBeZero && value == .zero { throw mapping.error(key, "must be longer than 0") }
            settings[keyPath: field] = value
        }
        for (key, field, minimum) in ints {
            guard let value = try mapping.int(key) else { continue }
            if value < minimum { throw mapping.error(key, "must be at least \(minimum), got \(value)") }
            settings[keyPath: field] = value
        }
        if let multiplier = try mapping.double("suspicion_max_multiplier") {
            if multiplier < 1 { throw mapping.error("suspicion_max_multiplier", "must be at least 1, got \(multiplier)") }
            settings.suspicionMaxMultiplier = multiplier
        }
        try mapping.rejectUnknownKeys()
        return settings
    }
}
