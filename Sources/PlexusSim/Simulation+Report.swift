import PlexusCore

extension Simulation {
    func makeReport(wallSeconds: Double) -> SimReport {
        let end = scenario.duration.nanoseconds
        let unseen = metrics.unseen(end: end, grace: 10_000_000_000)
        let window = metrics.measuredNodeSeconds
        func perNode(_ b: Int) -> Double { window > 0 ? Double(b) / window : 0 }
        let registryRejected = nodes.compactMap(\.core).map { c in
            c.registry.stats.rejectedSignature + c.registry.stats.rejectedNamespace + c.registry.stats.rejectedMalformed
        }.reduce(0, +)
        var figures: [(String, Double)] = [
            ("converged", converged ? 1 : 0),
            ("running_nodes", Double(metrics.runningCount)),
            ("join_visible_p50", percentile(metrics.joinLatencies, 0.5)),
            ("join_visible_p99", percentile(metrics.joinLatencies, 0.99)),
            ("join_visible_max", metrics.joinLatencies.max() ?? 0),
            ("joins_measured", Double(metrics.joinLatencies.count)),
            ("joins_unseen", Double(unseen.joins)),
            ("update_visible_p50", percentile(metrics.updateLatencies, 0.5)),
            ("update_visible_p99", percentile(metrics.updateLatencies, 0.99)),
            ("update_visible_max", metrics.updateLatencies.max() ?? 0),
            ("updates_measured", Double(metrics.updateLatencies.count)),
            ("updates_unseen", Double(unseen.updates)),
            ("suspect_p50", percentile(metrics.suspectLatencies, 0.5)),
            ("suspect_p99", percentile(metrics.suspectLatencies, 0.99)),
            ("dead_p50", percentile(metrics.deadLatencies, 0.5)),
            ("dead_p99", percentile(metrics.deadLatencies, 0.99)),
            ("dead_max", metrics.deadLatencies.max() ?? 0),
            ("crash_observations", Double(metrics.deadLatencies.count)),
            ("crashes_undetected", Double(unseen.undetected)),
            ("false_dead", Double(metrics.falseDead)),
            ("paused_dead", Double(metrics.pausedDead)),
            ("suspicions_of_live_nodes", Double(metrics.suspicionsOfLiveNodes)),
            ("signature_rejections", Double(registryRejected)),
            ("bytes_per_node_s", perNode(metrics.bytes.reduce(0, +))),
        ]
        for c in SimMetrics.Category.allCases {
            figures.append(("\(c.name)_bytes_per_node_s", perNode(metrics.bytes[c.rawValue])))
        }
        figures.append(("messages", Double(metrics.messages)))
        figures.append(("node_hours", metrics.nodeSeconds / 3600))
        figures += routingFigures(end: end)
        let checks = scenario.assertions.map { a -> SimReport.Check in
            let actual = figures.first { $0.0 == a.metric }?.1
            return SimReport.Check(assertion: a, actual: actual, passed: actual.map(a.holds) ?? false)
        }
        return SimReport(scenario: scenario.name, seed: seed, nodes: nodes.count, simulatedSeconds: Double(end) / 1e9,
                         wallSeconds: wallSeconds, events: eventsProcessed, traceHash: trace.value,
                         metrics: figures, checks: checks, notes: routingNotes(end: end), trace: routingMetrics.traceLines)
    }

    /// Every running node sees exactly the running nodes as its active members and holds the
    /// newest version of every registry entry, except versions published in the last two
    /// seconds (still spreading, by design). Equal digests are the fast path.
    var converged: Bool {
        let running = nodes.indices.filter { nodes[$0].isRunning }
        let cores = running.compactMap { nodes[$0].core }
        guard let reference = cores.first else { return true }
        let ids = Set(running.map { nodes[$0].id })
        for core in cores where Set(core.activeMemberIDs).union([core.me]) != ids { return false }
        if cores.allSatisfy({ $0.digestRoots.registry == reference.digestRoots.registry }) { return true }
        let settled = scenario.duration.nanoseconds - 2_000_000_000
        var newest: [RegistryKey: EntryVersion] = [:]
        for core in cores {
            for (key, entry) in core.registry.entries where newest[key].map({ $0 < entry.version }) ?? true {
                newest[key] = entry.version
            }
        }
        for (key, version) in newest {
            if let published = metrics.lastPublish[key], published.version == version, published.at > settled { continue }
            for core in cores where core.registry[key]?.version != version {
                // An entry of a node that is gone may lawfully be missing where it was reclaimed.
                if !ids.contains(key.owner), core.registry[key] == nil { continue }
                return false
            }
        }
        return true
    }
}
