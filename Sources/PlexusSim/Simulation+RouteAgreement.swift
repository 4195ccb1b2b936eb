import PlexusCore

/// The true network (which running nodes can really reach which) against what the nodes' route
/// tables say: route agreement after topology changes, and which messages had a path.
extension Simulation {
    /// A link between neighbours `a` and `b` that really carries traffic now. `cuts`: whether a
    /// flapped link counts as down (it does for reachability; route agreement leaves flaps to
    /// per-hop failover, since no protocol announces a link that is only briefly down).
    func carries(_ a: Int, _ b: Int, cuts: Bool) -> Bool {
        guard let plan, nodes[a].isRunning, nodes[b].isRunning, plan.neighbors.allowed(a, b) else { return false }
        if network.partitioned(a, b) { return false }
        return !cuts || !network.isCut(a, b)
    }

    /// Component label of every node in the true network (-1 for a node not running).
    func trueComponents(cuts: Bool) -> [Int] {
        guard let plan else { return [] }
        var label = [Int](repeating: -1, count: nodes.count)
        var next = 0
        for start in nodes.indices where nodes[start].isRunning && label[start] < 0 {
            label[start] = next
            var stack = [start]
            while let x = stack.popLast() {
                for y in plan.neighbors.neighbors(of: x, count: nodes.count) where label[y] < 0 && carries(x, y, cuts: cuts) {
                    label[y] = next
                    stack.append(y)
                }
            }
            next += 1
        }
        return label
    }

    /// Something changed who can reach whom: crash, (re)start, partition, heal, a cut link.
    /// `routes`: also a topology change the route tables must follow (not a flapped link).
    mutating func truthChanged(routes: Bool, change: String = "") {
        guard plan != nil else { return }
        routingMetrics.components = nil
        recheckEligibility()
        guard routes else { return }
        routingMetrics.agreementPending.append((now, change))
        if !routingMetrics.agreementCheckArmed {
            routingMetrics.agreementCheckArmed = true
            queue.push(.agreementCheck, at: now + RoutingMetrics.agreementInterval)
        }
    }

    mutating func currentComponents() -> [Int] {
        if let c = routingMetrics.components { return c }
        let c = trueComponents(cuts: true)
        routingMetrics.components = c
        return c
    }

    /// Messages younger than the deadline stay eligible only while origin and recipients run
    /// and are connected.
    mutating func recheckEligibility() {
        let horizon = now - RoutingMetrics.deliveryDeadline
        let young = routingMetrics.eligiblePending.filter { routingMetrics.messages[$0].created >= horizon }
        routingMetrics.eligiblePending = []
        guard !young.isEmpty else { return }
        let label = currentComponents()
        for m in young {
            if connected(routingMetrics.messages[m], label) {
                routingMetrics.eligiblePending.append(m)
            } else {
                routingMetrics.messages[m].eligible = false
            }
        }
    }

    func connected(_ message: RoutingMetrics.Message, _ label: [Int]) -> Bool {
        let home = label[message.origin]
        return home >= 0 && message.recipients.allSatisfy { label[$0.node] == home }
    }

    // MARK: - Route agreement

    mutating func checkAgreement() {
        routingMetrics.agreementCheckArmed = false
        guard let oldest = routingMetrics.agreementPending.first?.at else { return }
        routingMetrics.agreementChecks += 1
        if routesAgree() {
            for (start, change) in routingMetrics.agreementPending {
                routingMetrics.agreementSamples.append((Double(now - start) / 1e9, change, start, routingMetrics.lastDisagreement))
            }
            routingMetrics.lastDisagreement = nil
            routingMetrics.agreementPending = []
        } else {
            // Fine-grained while the answer matters to the target, coarse once it is missed.
            let late = now - oldest > RoutingMetrics.agreementFineWindow
            routingMetrics.agreementCheckArmed = true
            queue.push(.agreementCheck, at: now + (late ? RoutingMetrics.agreementCoarseInterval : RoutingMetrics.agreementInterval))
        }
    }

    /// Each running node's next hop (node index, -1 for none) towards every node, from its route
    /// table; cached per process life and graph version, since the table only changes with it.
    mutating func nextHops(_ i: Int) -> [Int32] {
        let version = nodes[i].routing!.graph.version
        if let cached = routingMetrics.hopCache[i], cached.life == nodes[i].life, cached.version == version { return cached.next }
        let table = nodes[i].routing!.routes()
        var next = [Int32](repeating: -1, count: nodes.count)
        for route in table.routes.values {
            if let d = idIndex[route.destination], let h = idIndex[route.nextHop] { next[d] = Int32(h) }
        }
        routingMetrics.hopCache[i] = (nodes[i].life, version, next)
        return next
    }

    /// The route tables agree with the network: for every pair of running nodes (a, b) that the
    /// true network connects, following each node's own next hop from a reaches b over links
    /// that really carry traffic, without a loop; and no chain loops for a pair it does not
    /// connect (such messages wait for a route rather than circle).
    mutating func routesAgree() -> Bool {
        let n = nodes.count
        var hops = [[Int32]](repeating: [], count: n)
        let running = nodes.indices.filter { nodes[$0].isRunning && nodes[$0].routing != nil }
        for i in running { hops[i] = nextHops(i) }
        let label = trueComponents(cuts: false)
        // Per destination: 0 unknown, 1 on the current walk, 2 reaches it, 3 stops short, 4 loops.
        var state = [UInt8](repeating: 0, count: n)
        var path: [Int] = []
        for b in running {
            for i in running { state[i] = 0 }
            state[b] = 2
            for a in running where state[a] == 0 {
                path.removeAll(keepingCapacity: true)
                var x = a
                var result: UInt8 = 0
                while result == 0 {
                    if state[x] == 1 { result = 4; break }
                    if state[x] != 0 { result = state[x]; break }
                    state[x] = 1
                    path.append(x)
                    let y = Int(hops[x][b])
                    guard y >= 0, carries(x, y, cuts: false) else {
                        result = 3
                        break
                    }
                    x = y
                }
                for p in path { state[p] = result }
                if result == 4 || (result != 2 && label[a] >= 0 && label[a] == label[b]) {
                    let chain = (path + (result == 4 ? [x] : [])).map { nodes[$0].id.rawValue }.joined(separator: " → ")
                    routingMetrics.lastDisagreement = "towards \(nodes[b].id) at \(SimReport.seconds(now)): "
                        + (result == 4 ? "next hops loop, " : "next hops stop short, ") + chain
                    return false
                }
            }
        }
        return true
    }

    /// Whether the chain of next hops from `a` towards `b`, as the tables stand now, runs
    /// through one of `through`.
    mutating func routeRuns(from a: Int, to b: Int, through: [Int]) -> Bool {
        var x = a
        var seen: Set<Int> = [a]
        let destination = nodes[b].id
        while x != b {
            guard nodes[x].routing != nil, let route = nodes[x].routing!.routes()[destination],
                  let y = idIndex[route.nextHop], seen.insert(y).inserted else { return false }
            if through.contains(y) { return true }
            x = y
        }
        return false
    }
}
