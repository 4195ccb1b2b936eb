import PlexusCore

/// Runs one scenario with one seed: the real `MeshCore` (and in routing scenarios the real
/// `RoutingCore`) on every simulated node, a virtual clock and a simulated network, all driven by
/// one seed — the same seed gives the same trace hash.
public struct Simulation {
    let scenario: Scenario
    let seed: UInt64
    var nodes: [SimNode]
    var rngs: [SplitMix64]
    var rng: SplitMix64
    var network: SimNetwork
    var queue = EventQueue<SimEvent>()
    var now: Int64 = 0
    var actions: [Action] = []
    var metrics = SimMetrics()
    var trace = StableHash()
    var eventsProcessed = 0
    let idIndex: [NodeID: Int]
    let seedAddresses: [String]
    /// Last time two nodes exchanged a message, for link-reset notices on a process crash.
    var contacts: [UInt64: Int64] = [:]
    let tracksContacts: Bool
    /// One memo of valid signatures for all simulated nodes: each entry is verified once per run
    /// instead of once per node, with the same outcomes (see `SignatureCache`).
    let signatureCache = SignatureCache()
    /// The routing block resolved for this seed; nil when the scenario has no data plane.
    var plan: RoutingPlan?
    var routingMetrics = RoutingMetrics()
    /// Traffic choices (origin, subject, topic) have their own generator, so sending messages
    /// does not shift the network's draws.
    var trafficRNG: SplitMix64

    /// - Parameter traceMessage: the index of a message (in origination order, as the report's
    ///   notes name them) whose custody trail the report should carry.
    public init(scenario: Scenario, seed: UInt64, traceMessage: Int? = nil) {
        self.scenario = scenario
        self.seed = seed
        let topo = scenario.topology.nodes
        var keyRNG = SplitMix64(seed: seed ^ 0x6B65_7973)
        nodes = topo.enumerated().map { i, n in
            SimNode(index: i, id: n.id, organisation: n.organisation, cluster: n.cluster, signingKey: NodeSigningKey(using: &keyRNG))
        }
        rngs = (0..<topo.count).map { SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64($0) &+ 1) }
        rng = SplitMix64(seed: seed)
        network = SimNetwork(topology: scenario.topology, nodes: topo)
        idIndex = Dictionary(uniqueKeysWithValues: topo.enumerated().map { ($1.id, $0) })
        seedAddresses = topo.prefix(max(1, scenario.start.seedNodes)).map(\.id.rawValue)
        tracksContacts = scenario.events.contains {
            if case .crash(_, true) = $0.event { return true }
            return false
        }
        trafficRNG = SplitMix64(seed: seed ^ 0x7472_6166_6663)
        plan = scenario.routing.map { RoutingPlan(routing: $0, scenario: scenario, nodes: topo, seed: seed) }
        routingMetrics.tracing = traceMessage
    }

    /// Runs to the scenario's end and returns the figures and assertion results.
    public mutating func run() -> SimReport {
        let wallStart = ContinuousClock.now
        planActions()
        let end = scenario.duration.nanoseconds
        metrics.measureFrom = scenario.measureFrom.nanoseconds
        while let t = queue.nextTime, t <= end {
            let (time, event) = queue.pop()!
            metrics.advance(to: time, running: runningCount)
            now = time
            eventsProcessed += 1
            process(event)
        }
        metrics.advance(to: end, running: runningCount)
        now = end
        let wall = ContinuousClock.now - wallStart
        return makeReport(wallSeconds: wall.secondsDouble)
    }

    var runningCount: Int { metrics.runningCount }

    mutating func process(_ event: SimEvent) {
        switch event {
        case .deliver(let to, let from, let life, let message):
            guard nodes[to].isRunning, nodes[to].life == life else { return }
            if nodes[to].pausedUntil != nil { nodes[to].backlog.append((now, event)); return }
            trace.combine(UInt64(bitPattern: now)); trace.combine(UInt64(to) << 32 | UInt64(from))
            if tracksContacts { contacts[pairKey(to, from)] = now }
            let local = nodes[to].localNow(now)
            let out = nodes[to].core!.receive(message, from: nodes[from].id, now: local, rng: &rngs[to])
            carryOut(out, for: to)
        case .timer(let node, let life, let timer):
            guard nodes[node].isRunning, nodes[node].life == life else { return }
            if nodes[node].pausedUntil != nil { nodes[node].backlog.append((now, event)); return }
            trace.combine(UInt64(bitPattern: now)); trace.combine(UInt64(node))
            let out = nodes[node].core!.timerFired(timer, now: nodes[node].localNow(now), rng: &rngs[node])
            carryOut(out, for: node)
        case .linkDown(let node, let life, let peer):
            guard nodes[node].isRunning, nodes[node].life == life else { return }
            if nodes[node].pausedUntil != nil { nodes[node].backlog.append((now, event)); return }
            let out = nodes[node].core!.linkDown(nodes[peer].id, now: nodes[node].localNow(now), rng: &rngs[node])
            carryOut(out, for: node)
            if nodes[node].routing != nil, nodes[node].isRunning {
                let forward = nodes[node].routing!.linkDown(nodes[peer].id, now: nodes[node].localNow(now))
                carryOut(forward, for: node)
            }
        case .action(let i):
            perform(actions[i])
        case .resume(let node):
            guard nodes[node].pausedUntil != nil else { return }
            nodes[node].pausedUntil = nil
            let backlog = nodes[node].backlog
            nodes[node].backlog = []
            for (_, e) in backlog { process(e) }
        case .data(let to, _, let life, _), .acks(let to, _, let life, _), .fsync(let to, let life, _), .routingTimer(let to, let life, _):
            guard nodes[to].isRunning, nodes[to].life == life, nodes[to].routing != nil else { return }
            if nodes[to].pausedUntil != nil { nodes[to].backlog.append((now, event)); return }
            processRouting(event)
        case .agreementCheck:
            checkAgreement()
        }
    }

    /// Does what the core asked: the simulator's half of the contract every shell implements.
    mutating func carryOut(_ directives: [MeshDirective], for i: Int) {
        var owners: [NodeID] = []
        var members: [NodeID] = []
        for directive in directives {
            switch directive {
            case .send(let message, let peer):
                guard let j = peer.id.flatMap({ idIndex[$0] }) ?? idIndex[NodeID(peer.address)], j != i else { continue }
                let size = MeshCodec.size(of: message) + MeshCodec.frameOverhead + MeshCodec.tlsRecordOverhead
                metrics.sent(size, category: SimMetrics.category(of: message), at: now)
                trace.combine(UInt64(size))
                if tracksContacts { contacts[pairKey(i, j)] = now }
                guard let delay = network.transit(i, j, rng: &rng) else { continue }
                queue.push(.deliver(to: j, from: i, life: nodes[j].life, message: message), at: now + delay)
            case .schedule(let timer, let after):
                queue.push(.timer(node: i, life: nodes[i].life, timer), at: now + nodes[i].trueDelay(after))
            case .membershipChanged(let change):
                members.append(change.node)
                if let subject = idIndex[change.node] { observe(change, by: i, about: subject) }
            case .registryChanged(let change):
                owners.append(change.key.owner)
                if change.key.owner == nodes[i].id { metrics.lastPublish[change.key] = (change.version, now) }
                metrics.registryChanged(change, observer: i, at: now)
            }
        }
        if plan != nil, !owners.isEmpty || !members.isEmpty { meshChanged(i, owners: owners, members: members) }
    }

    func pairKey(_ a: Int, _ b: Int) -> UInt64 { UInt64(min(a, b)) << 32 | UInt64(max(a, b)) }

    mutating func observe(_ change: MemberChange, by observer: Int, about subject: Int) {
        switch change.status {
        case .alive:
            metrics.sawAlive(subject, observer: observer, at: now)
        case .suspect, .dead:
            let dead = change.status == .dead
            let verdict = dead ? classifyDeadVerdict(about: subject, by: observer) : nil
            metrics.sawFailure(subject, observer: observer, dead: dead, verdict: verdict, at: now)
        case .left:
            break
        }
    }

    /// Why a dead verdict is not a false one: the node crashed or left, was paused, was cut off,
    /// or restarted recently (the mesh is still forgetting its previous life).
    func classifyDeadVerdict(about x: Int, by observer: Int) -> SimMetrics.Verdict {
        let grace: Int64 = 60_000_000_000
        if !nodes[x].isRunning || metrics.left.contains(x) { return .expected }
        if metrics.pausedRecently(x, at: now, grace: grace) { return .paused }
        if let last = metrics.lastPartitionChange, now - last < grace { return .expected }
        if network.partition != nil { return .expected }
        if let r = metrics.lastRestart[x], now - r < grace { return .expected }
        // A one-way loss rule in force (or just lifted) can cut a node off: not a false verdict.
        // Asked of the network itself, so overlapping rules are counted right.
        if network.oneWay.contains(where: { $0?.active == true }) || metrics.oneWayChangedRecently(at: now, grace: grace) {
            return .expected
        }
        return .falseDead
    }
}
