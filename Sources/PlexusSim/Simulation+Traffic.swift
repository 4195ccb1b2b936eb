import PlexusCore

/// Traffic events: messages entering the mesh at running nodes, as a client would hand them in.
extension Simulation {
    /// One message of traffic event `e`: directed to one of its subjects or on one of its
    /// topics, from a random running origin of its selection (not the subject's own home when
    /// another origin is running). Acknowledged to the client once the origin's log write is done.
    mutating func originate(_ traffic: Scenario.Traffic, event e: Int) {
        guard let plan else { return }
        let topicMessage = traffic.topicShare >= 1 || (traffic.topicShare > 0 && trafficRNG.nextUnit() < traffic.topicShare)
        var subject: String?
        let topic: String
        if topicMessage, !traffic.topics.isEmpty {
            topic = traffic.topics[trafficRNG.nextInt(below: traffic.topics.count)]
        } else if !traffic.to.isEmpty {
            let s = traffic.to[trafficRNG.nextInt(below: traffic.to.count)]
            subject = s
            topic = Scenario.Traffic.directTopic(s)
        } else {
            return
        }
        var pool = (plan.origins[e] ?? []).filter { nodes[$0].isRunning && nodes[$0].pausedUntil == nil && nodes[$0].routing != nil }
        if let subject, let home = plan.home[subject], pool.contains(where: { $0 != home }) {
            pool.removeAll { $0 == home }
        }
        guard !pool.isEmpty else {
            routingMetrics.trafficSkipped += 1
            return
        }
        let origin = pool[trafficRNG.nextInt(below: pool.count)]
        let m = routingMetrics.messages.count
        let id = RoutingMetrics.id(index: m, seed: seed)
        let payload = payloadBytes(plan.routing.payloadBytes)
        let admission = nodes[origin].routing!.originate(id, payload: payload, destinations: subject.map { [$0] } ?? [],
                                                         topic: topic, now: nodes[origin].localNow(now))
        guard case .accepted(let role, let deliverHere, let targets) = admission else {
            // Refused (outbox full): never acknowledged, so it counts for nothing but keeps its id.
            routingMetrics.notAccepted += 1
            routingMetrics.messages.append(RoutingMetrics.Message(origin: origin, created: now, directed: subject != nil))
            return
        }
        trace.combine(UInt64(bitPattern: now)); trace.combine(UInt64(origin) << 32 | UInt64(m))
        var message = RoutingMetrics.Message(origin: origin, created: now, directed: subject != nil)
        if let subject, let home = plan.home[subject] {
            message.recipients = [.init(node: home, subject: subject)]
        } else {
            // A topic message goes where the origin knows of interest: its targets (and itself).
            var recipients = targets.compactMap { t -> Int? in if case .node(let n) = t { idIndex[n] } else { nil } }
            if deliverHere { recipients.append(origin) }
            message.recipients = recipients.sorted().map { .init(node: $0, subject: nil) }
        }
        let label = currentComponents()
        if !message.recipients.isEmpty, now <= scenario.duration.nanoseconds - RoutingMetrics.deliveryDeadline, connected(message, label) {
            message.eligible = true
            routingMetrics.eligiblePending.append(m)
        }
        // A relay back up within the window is a relay again: routing through it is no failover.
        let relays = routingMetrics.failoverWindows.filter { $0.until > now && !nodes[$0.node].isRunning }.map(\.node)
        routingMetrics.messages.append(message)
        if !relays.isEmpty, message.recipients.contains(where: { !relays.contains($0.node) && routeRuns(from: origin, to: $0.node, through: relays) }) {
            routingMetrics.messages[m].failover = true
            routingMetrics.messages[m].failoverAround = relays
        }
        if routingMetrics.tracing == m { traceStep(origin, "originates it for \(targets.map(\.description))\(deliverHere ? " and itself" : "")") }
        write(id, at: origin, role: role, payload: payload, hopCount: 0, targets: targets)
    }

    /// A payload of `count` bytes (the content does not matter, only its size on the wire).
    func payloadBytes(_ count: Int) -> [UInt8] {
        [UInt8](repeating: UInt8(ascii: "x"), count: count)
    }
}
