import PlexusCore

extension Simulation {
    /// The data-plane figures of a routing scenario (docs/simulations.md, "Routing metrics").
    func routingFigures(end: Int64) -> [(String, Double)] {
        guard plan != nil else { return [] }
        let r = routingMetrics
        let acked = r.messages.filter { $0.acked != nil }
        let lost = acked.filter { !$0.fullyDelivered }.count
        let latencies = acked.filter { !$0.recipients.isEmpty }.compactMap { m in m.lastDelivery.map { Double($0 - m.created) / 1e9 } }
        let duplicates = r.duplicates(nodeIDs: nodes.map(\.id))
        let eligible = acked.filter(\.eligible)
        let onTime = eligible.filter { m in m.lastDelivery.map { $0 - m.created <= RoutingMetrics.deliveryDeadline } ?? false }
        let directed = r.messages.filter { $0.directed && $0.hops != nil }
        let hops = directed.reduce(0) { $0 + $1.hops! }
        let frames = directed.reduce(0) { $0 + $1.frames }
        let failover = failoverLatencies(end: end).map(\.seconds)
        let agreement = r.agreementSamples.map(\.seconds) + r.agreementPending.map { Double(end - $0.at) / 1e9 }
        var retransmissions = r.retransmissions, timeouts = r.timeouts
        for node in nodes {
            guard let stats = node.routing?.stats else { continue }
            retransmissions += stats.retransmissions
            timeouts += stats.timeouts
        }
        let held = nodes.compactMap(\.routing).reduce(0) { $0 + $1.heldCount }
        return [
            ("messages_originated", Double(r.messages.count)),
            ("messages_acked", Double(acked.count)),
            ("messages_not_accepted", Double(r.notAccepted)),
            ("traffic_skipped", Double(r.trafficSkipped)),
            ("messages_delivered", Double(r.messages.filter(\.fullyDelivered).count)),
            ("acked_lost", Double(lost)),
            ("held_at_end", Double(held)),
            ("duplicate_deliveries", Double(duplicates.values.reduce(0, +))),
            ("duplicates_max_per_subject", Double(duplicates.values.max() ?? 0)),
            ("misdeliveries", Double(r.misdeliveries)),
            ("suppressed_redeliveries", Double(r.suppressedRedeliveries)),
            ("dead_letters", Double(r.deadLetters)),
            ("delivery_p50", percentile(latencies, 0.5)),
            ("delivery_p99", percentile(latencies, 0.99)),
            ("delivery_max", latencies.max() ?? 0),
            ("within_2s_eligible", Double(eligible.count)),
            ("delivered_within_2s_ratio", eligible.isEmpty ? 1 : Double(onTime.count) / Double(eligible.count)),
            ("transmissions_per_hop", hops > 0 ? Double(frames) / Double(hops) : 0),
            ("hops_max", Double(r.hopsMax)),
            ("directed_hops_mean", directed.isEmpty ? 0 : Double(hops) / Double(directed.count)),
            ("failover_messages", Double(failover.count)),
            ("failover_p99_seconds", percentile(failover, 0.99)),
            ("failover_max_seconds", failover.max() ?? 0),
            ("stranded_in_custody", Double(r.stranded)),
            ("route_agreement_seconds", agreement.max() ?? 0),
            ("route_agreement_p50", percentile(agreement, 0.5)),
            ("route_changes", Double(agreement.count)),
            ("route_changes_unsettled", Double(r.agreementPending.count)),
            ("neighbor_violations", Double(r.neighborViolations)),
            ("repersisted_silent", Double(r.repersistedSilent)),
            ("data_frames", Double(r.dataFrames)),
            ("ack_frames", Double(r.ackFrames)),
            ("retransmissions", Double(retransmissions)),
            ("ack_timeouts", Double(timeouts)),
        ]
    }

    /// Failover: delivery latency of every message caught by a relay crash (by index), to its
    /// recipients other than the crashed relays (a topic message for the relay itself waits for
    /// its restart, over no alternative path); one never delivered counts as waiting until the end.
    func failoverLatencies(end: Int64) -> [(index: Int, seconds: Double)] {
        routingMetrics.messages.indices.compactMap { i -> (index: Int, seconds: Double)? in
            let m = routingMetrics.messages[i]
            guard m.failover else { return nil }
            let others = m.recipients.filter { !m.failoverAround.contains($0.node) }
            guard !others.isEmpty else { return nil }
            let last = others.contains { $0.firstDelivery == nil } ? end : others.compactMap(\.firstDelivery).max()!
            return (i, Double(last - m.created) / 1e9)
        }
    }

    /// What to look at first when a routing figure fails: the first lost messages with every
    /// node that logged them, dead-letter reasons, and a pair whose routes still disagree.
    func routingNotes(end: Int64) -> [String] {
        guard plan != nil else { return [] }
        var notes: [String] = []
        let slowFailovers = failoverLatencies(end: end).filter { $0.seconds > 1 }.sorted { $0.seconds > $1.seconds }
        for slow in slowFailovers.prefix(3) {
            let message = routingMetrics.messages[slow.index]
            notes.append("slow failover: message \(slow.index) from \(nodes[message.origin].id) at \(SimReport.seconds(message.created)) "
                         + "reached its last recipient after \((slow.seconds * 1000).rounded() / 1000) s (rerun with --trace-message \(slow.index))")
        }
        // Eligible for the 2 s figure (origin and recipients connected) and later than that.
        let late = routingMetrics.messages.indices.filter { i in
            let m = routingMetrics.messages[i]
            return m.acked != nil && m.eligible && m.fullyDelivered && (m.lastDelivery.map { $0 - m.created > RoutingMetrics.deliveryDeadline } ?? false)
        }
        for i in late.prefix(3) {
            let m = routingMetrics.messages[i]
            notes.append("late: message \(i) from \(nodes[m.origin].id) at \(SimReport.seconds(m.created)) took "
                         + "\((Double(m.lastDelivery! - m.created) / 1e6).rounded() / 1000) s with a path all along (rerun with --trace-message \(i))")
        }
        let lost = routingMetrics.messages.indices.filter { routingMetrics.messages[$0].acked != nil && !routingMetrics.messages[$0].fullyDelivered }
        for m in lost.prefix(5) {
            let message = routingMetrics.messages[m]
            let id = RoutingMetrics.id(index: m, seed: seed)
            let missing = message.recipients.filter { $0.firstDelivery == nil }.map { r in
                r.subject.map { "\($0)@\(nodes[r.node].id)" } ?? nodes[r.node].id.rawValue
            }
            let logged = nodes.filter { $0.durable.roles[id] != nil }.map { "\($0.id) (\($0.durable.roles[id]!.rawValue))" }
            let holders = nodes.filter { n in n.durable.outbox[id] != nil || (n.routing?.outbox.contains { $0.id == id } ?? false) }.map(\.id.rawValue)
            notes.append("lost message \(m): from \(nodes[message.origin].id) at \(SimReport.seconds(message.created)), not delivered to "
                         + "\(missing.joined(separator: ", ")); logged at \(logged.joined(separator: ", ")); "
                         + (holders.isEmpty ? "held nowhere" : "still held at \(holders.joined(separator: ", "))")
                         + " (rerun with --trace-message \(m))")
        }
        if lost.count > 5 { notes.append("… and \(lost.count - 5) more lost messages") }
        for (reason, count) in routingMetrics.deadLetterReasons.sorted(by: { $0.key < $1.key }) {
            notes.append("dead letters: \(count) × \(reason)")
        }
        if let slowest = routingMetrics.agreementSamples.max(by: { $0.seconds < $1.seconds }), slowest.seconds > 1.5 {
            notes.append("slowest route agreement: \((slowest.seconds * 1000).rounded() / 1000) s after the \(slowest.change) at \(SimReport.seconds(slowest.at))"
                         + (slowest.lastDisagreement.map { "; last disagreement \($0)" } ?? ""))
        }
        for pending in routingMetrics.agreementPending {
            notes.append("route tables never agreed after the \(pending.change) at \(SimReport.seconds(pending.at))")
        }
        if !routingMetrics.agreementPending.isEmpty, let why = routingMetrics.lastDisagreement {
            notes.append("route tables still disagree at the end: \(why)")
        }
        return notes
    }
}
