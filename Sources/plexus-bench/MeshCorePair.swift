import PlexusCore

/// Two mesh cores joined without a network, for benchmarks of what runs on top of them: each
/// core's sends are handed straight to the other and its timers fire in simulated time, until
/// both see each other alive and `n1` knows the subjects `n2` announced. Deterministic (fixed
/// keys and generators), and fast: a few hundred milliseconds of simulated time.
struct MeshCorePair {
    var n1: MeshCore
    var n2: MeshCore

    enum SetupError: Error, CustomStringConvertible {
        case notConverged(String)
        var description: String { if case .notConverged(let why) = self { "the two mesh cores did not converge: \(why)" } else { "" } }
    }

    static func converged(subjects: [String]) throws -> MeshCorePair {
        var rng = SplitMix64(seed: 7)
        let ids = [NodeID(RoutingCluster.id("n1")), NodeID(RoutingCluster.id("n2"))]
        var cores = ids.map { MeshCore(id: $0, address: $0.rawValue, signingKey: NodeSigningKey(using: &rng), generation: 1) }
        var now = MeshInstant.zero
        var timers: [(at: MeshInstant, node: Int, timer: MeshTimer)] = []
        var inbox: [(to: Int, from: NodeID, message: MeshMessage)] = []

        func carry(_ out: [MeshDirective], at node: Int) {
            for d in out {
                switch d {
                case .send(let message, let peer):
                    guard let to = ids.firstIndex(where: { $0 == peer.id || $0.rawValue == peer.address }) else { continue }
                    inbox.append((to, ids[node], message))
                case .schedule(let timer, let after):
                    timers.append((now + after, node, timer))
                case .membershipChanged, .registryChanged:
                    break
                }
            }
        }

        carry(cores[1].start(seeds: [], now: now, rng: &rng), at: 1)
        for subject in subjects {
            let card: JSONValue = ["id": .string(subject), "kind": "agent", "card": [:]]
            carry(cores[1].publish(kind: RegistryKind.subject, id: subject, value: card, now: now), at: 1)
        }
        carry(cores[0].start(seeds: [ids[1].rawValue], now: now, rng: &rng), at: 0)

        func done() -> Bool {
            guard cores[0].member(ids[1])?.status == .alive, cores[1].member(ids[0])?.status == .alive else { return false }
            let announced = Set(cores[0].registry.entries.keys.filter { $0.owner == ids[1] && $0.kind == RegistryKind.subject }.map(\.id))
            return subjects.allSatisfy { announced.contains($0) }
        }
        let step = Duration.milliseconds(5)
        while !done() {
            guard now < MeshInstant.zero + .seconds(30) else {
                throw SetupError.notConverged("after 30 s of simulated time n1 sees n2 as \(cores[0].member(ids[1])?.status.description ?? "unknown")")
            }
            while !inbox.isEmpty {
                let (to, from, message) = inbox.removeFirst()
                carry(cores[to].receive(message, from: from, now: now, rng: &rng), at: to)
            }
            now = now + step
            let due = timers.filter { $0.at <= now }
            timers.removeAll { $0.at <= now }
            for t in due.sorted(by: { $0.at < $1.at }) { carry(cores[t.node].timerFired(t.timer, now: now, rng: &rng), at: t.node) }
        }
        return MeshCorePair(n1: cores[0], n2: cores[1])
    }
}
