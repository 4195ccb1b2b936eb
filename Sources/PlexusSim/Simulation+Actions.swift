import PlexusCore

/// Scenario events turned into timed actions on the agenda.
enum Action {
    case start(Int?)
    case crash(Scenario.Selection, resetLinks: Bool)
    case restart(Scenario.Selection)
    case pause(Scenario.Selection, Duration)
    case partition([Scenario.Selection])
    case heal
    case loss(Double)
    case oneWay(from: Scenario.Selection, to: Scenario.Selection, rate: Double, rule: Int)
    case oneWayEnd(Int)
    case skew(Scenario.Selection, drift: Double, offset: Duration)
    case publish(Int)
    case leave(Scenario.Selection)
    case stop(Int)
    /// One message of the traffic event with this index among the scenario's events.
    case originate(event: Int)
    case cut(Int, Int, resetLinks: Bool)
    case uncut(Int, Int)
}

extension Simulation {
    mutating func schedule(_ action: Action, at time: Int64) {
        actions.append(action)
        queue.push(.action(actions.count - 1), at: time)
    }

    mutating func planActions() {
        let initial = min(scenario.start.initial ?? nodes.count, nodes.count)
        let stagger = scenario.start.stagger.nanoseconds
        for i in 0..<initial { schedule(.start(i), at: Int64(i) * stagger) }
        var updates = 0
        for (e, timed) in scenario.events.enumerated() {
            let at = timed.at.nanoseconds
            switch timed.event {
            case .join(let count, let rate):
                let gap = rate.map { Int64(1e9 / max($0, 1e-9)) } ?? 0
                for k in 0..<count { schedule(.start(nil), at: at + Int64(k) * gap) }
            case .crash(let sel, let reset): schedule(.crash(sel, resetLinks: reset), at: at)
            case .restart(let sel): schedule(.restart(sel), at: at)
            case .pause(let sel, let d): schedule(.pause(sel, d), at: at)
            case .partition(let groups, let d):
                schedule(.partition(groups), at: at)
                if let d { schedule(.heal, at: at + d.nanoseconds) }
            case .heal: schedule(.heal, at: at)
            case .loss(let rate): schedule(.loss(rate), at: at)
            case .oneWayLoss(let from, let to, let rate, let d):
                let rule = network.oneWay.count
                network.oneWay.append(nil)
                schedule(.oneWay(from: from, to: to, rate: rate, rule: rule), at: at)
                if let d { schedule(.oneWayEnd(rule), at: at + d.nanoseconds) }
            case .clockSkew(let sel, let drift, let offset): schedule(.skew(sel, drift: drift, offset: offset), at: at)
            case .updates(let count, let rate):
                let gap = Int64(1e9 / max(rate, 1e-9))
                for k in 0..<count {
                    schedule(.publish(updates), at: at + Int64(k) * gap)
                    updates += 1
                }
            case .leave(let sel): schedule(.leave(sel), at: at)
            case .traffic(let traffic):
                let gap = Int64(1e9 / max(traffic.rate, 1e-9))
                for k in 0..<traffic.count { schedule(.originate(event: e), at: at + Int64(k) * gap) }
            case .flap(let flap):
                guard let a = idIndex[flap.a], let b = idIndex[flap.b], flap.period > .zero else { continue }
                var start = at
                while start < at + flap.duration.nanoseconds {
                    schedule(.cut(a, b, resetLinks: flap.resetLinks), at: start)
                    schedule(.uncut(a, b), at: start + flap.down.nanoseconds)
                    start += flap.period.nanoseconds
                }
            }
        }
    }

    /// Resolves a selection against the nodes in `pool` (running ones by default). Random picks
    /// never take a seed node, so the mesh can always be re-joined.
    mutating func resolve(_ selection: Scenario.Selection, among pool: [Int]? = nil) -> [Int] {
        let candidates = pool ?? nodes.indices.filter { nodes[$0].isRunning }
        switch selection {
        case .nodes(let ids): return ids.compactMap { idIndex[$0] }.filter { candidates.contains($0) }
        case .organisation(let o): return candidates.filter { nodes[$0].organisation == o }
        case .cluster(let o, let c): return candidates.filter { nodes[$0].organisation == o && nodes[$0].cluster == c }
        case .random(let count):
            var pickable = candidates.filter { $0 >= seedAddresses.count }
            pickable.shuffleInPlace(using: &rng)
            return Array(pickable.prefix(count)).sorted()
        }
    }

    mutating func perform(_ action: Action) {
        switch action {
        case .start(let index):
            let i = index ?? nodes.firstIndex { $0.state == .notStarted }
            guard let i, nodes[i].state == .notStarted else { return }
            boot(i)
            // A join event changes the topology; the initial start-up does not count.
            if index == nil { truthChanged(routes: true, change: "join of \(nodes[i].id)") }
        case .crash(let sel, let reset):
            for x in resolve(sel) { crash(x, resetLinks: reset) }
        case .restart(let sel):
            for x in resolve(sel, among: nodes.indices.filter { nodes[$0].state == .crashed && !metrics.left.contains($0) }) {
                metrics.lastRestart[x] = now
                boot(x)
                truthChanged(routes: true, change: "restart of \(nodes[x].id)")
            }
        case .pause(let sel, let d):
            for x in resolve(sel) where nodes[x].pausedUntil == nil {
                let end = now + d.nanoseconds
                nodes[x].pausedUntil = end
                metrics.paused(x, from: now, to: end)
                queue.push(.resume(node: x), at: end)
            }
        case .partition(let groups):
            var assignment = [Int](repeating: groups.count, count: nodes.count)
            for (g, sel) in groups.enumerated() {
                for x in resolve(sel, among: Array(nodes.indices)) { assignment[x] = g }
            }
            network.partition = assignment
            metrics.lastPartitionChange = now
            truthChanged(routes: true, change: "partition")
        case .heal:
            network.partition = nil
            metrics.lastPartitionChange = now
            truthChanged(routes: true, change: "heal")
        case .loss(let rate):
            network.globalLoss = rate
        case .oneWay(let from, let to, let rate, let rule):
            let all = Array(nodes.indices)
            network.oneWay[rule] = .init(from: Set(resolve(from, among: all)), to: Set(resolve(to, among: all)), rate: rate)
            metrics.oneWayChanges.append(now)
        case .oneWayEnd(let i):
            network.oneWay[i]?.active = false
            metrics.oneWayChanges.append(now)
        case .skew(let sel, let drift, let offset):
            for x in resolve(sel, among: Array(nodes.indices)) where nodes[x].state == .notStarted {
                nodes[x].drift = drift
                nodes[x].offsetNanos = offset.nanoseconds
            }
        case .publish(let k):
            let running = nodes.indices.filter { nodes[$0].isRunning && nodes[$0].pausedUntil == nil }
            guard !running.isEmpty else { return }
            let origin = running[rng.nextInt(below: running.count)]
            let value: JSONValue = ["kind": "agent", "card": ["skills": ["summarise", "translate"], "update": .integer(Int64(k))]]
            let out = nodes[origin].core!.publish(kind: .subject, id: "agent-\(k % 64)", value: value, now: nodes[origin].localNow(now))
            for case .registryChanged(let change) in out {
                metrics.published(change, origin: origin, observers: running.filter { $0 != origin }, at: now)
            }
            carryOut(out, for: origin)
        case .leave(let sel):
            for x in resolve(sel) {
                metrics.left.insert(x)
                let out = nodes[x].core!.leave(now: nodes[x].localNow(now))
                carryOut(out, for: x)
                schedule(.stop(x), at: now + 2_000_000_000)
            }
        case .stop(let x):
            guard nodes[x].isRunning else { return }
            routingCrashed(x)
            nodes[x].state = .crashed
            nodes[x].life += 1
            nodes[x].core = nil
            metrics.stopped(x, at: now)
            truthChanged(routes: true, change: "leave of \(nodes[x].id)")
        case .originate(let e):
            guard case .traffic(let traffic) = scenario.events[e].event else { return }
            originate(traffic, event: e)
        case .cut(let a, let b, let reset):
            network.cut(a, b)
            truthChanged(routes: false)
            guard reset else { return }
            for (x, y) in [(a, b), (b, a)] where nodes[x].isRunning {
                queue.push(.linkDown(node: x, life: nodes[x].life, peer: y), at: now + network.latency(x, y))
            }
        case .uncut(let a, let b):
            network.restore(a, b)
            truthChanged(routes: false)
        }
    }

    mutating func boot(_ i: Int) {
        var node = nodes[i]
        node.life += 1
        node.state = .running
        node.backlog = []
        node.pausedUntil = nil
        let local = node.localNow(now)
        var record: JSONObject = ["organisation": .string(node.organisation), "cluster": .string(node.cluster),
                                  "capabilities": ["relay"], "version": "sim"]
        if let field = plan?.neighborsField(i, ids: nodes.map(\.id)) { record["neighbors"] = field }
        node.routing = plan.map { RoutingCore(me: node.id, settings: $0.routing.settings) }
        node.writes = [:]
        node.persisted = []
        node.core = MeshCore(id: node.id, address: node.id.rawValue, signingKey: node.signingKey, settings: scenario.settings,
                             generation: UInt64(max(local.nanoseconds / 1_000_000, 0)) + 1, record: record,
                             signatureCache: signatureCache)
        nodes[i] = node
        let running = nodes.indices.filter { nodes[$0].isRunning && $0 != i }
        metrics.started(i, observers: running, at: now)
        var out = nodes[i].core!.start(seeds: seedAddresses.filter { $0 != node.id.rawValue }, now: local, rng: &rngs[i])
        let forward = startRouting(i, meshOut: &out)
        carryOut(out, for: i)
        carryOut(forward, for: i)
    }

    mutating func crash(_ x: Int, resetLinks: Bool) {
        guard nodes[x].isRunning else { return }
        routingCrashed(x)
        nodes[x].state = .crashed
        nodes[x].life += 1
        nodes[x].core = nil
        nodes[x].backlog = []
        nodes[x].pausedUntil = nil
        let observers = nodes.indices.filter { nodes[$0].isRunning }
        metrics.crashed(x, observers: observers, at: now)
        truthChanged(routes: true, change: "crash of \(nodes[x].id)")
        guard resetLinks else { return }
        // The kernel of a killed process closes its connections: peers that held one (talked to
        // it in the last minute) see the reset one link latency later, unless partitioned away.
        for p in observers where !network.partitioned(x, p) {
            if let last = contacts[pairKey(x, p)], now - last < 60_000_000_000 {
                queue.push(.linkDown(node: p, life: nodes[p].life, peer: x), at: now + network.latency(x, p))
            }
        }
    }
}
