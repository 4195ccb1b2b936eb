import Testing
@testable import PlexusCore

/// A few routing cores over a hand-built mesh view: every node knows every other as alive, with
/// the neighbour lists, subjects and interest given. Frames move between cores only when the
/// test says so (`deliverAll`), and durability is immediate (`persisted` right after accept).
struct RoutingTestMesh {
    var cores: [NodeID: RoutingCore] = [:]
    var meshes: [NodeID: MeshCore] = [:]
    var now = MeshInstant.zero
    /// Frames and acks on the wire, in send order.
    var wire: [(from: NodeID, to: NodeID, frame: PeerFrame)] = []
    var delivered: [NodeID: [MessageID]] = [:]
    var deadLetters: [(NodeID, MessageID, String)] = []
    /// (node, peer) for every `checkPeer`: a next hop that went silent was reported for probing.
    var peersChecked: [(NodeID, NodeID)] = []
    var down: Set<NodeID> = []
    var timers: [NodeID: [(MeshInstant, RoutingTimer)]] = [:]

    /// `links`: undirected neighbour pairs; nil means full mesh. `measured`: link figures each
    /// node publishes (its `link_health` entry).
    init(_ ids: [NodeID], links: [(NodeID, NodeID)]?, subjects: [NodeID: [String]] = [:], interest: [NodeID: [String]] = [:],
         measured: [NodeID: [NodeID: LinkStat]] = [:], settings: RoutingSettings = RoutingSettings()) {
        var entries: [RegistryEntry] = []
        for id in ids {
            var record: JSONObject = ["id": .string(id.rawValue), "address": .string(id.rawValue),
                                      "signing_key": .string(Hex.encode(meshKey(for: id).publicKey))]
            if let links {
                let mine = links.filter { $0.0 == id || $0.1 == id }.map { $0.0 == id ? $0.1 : $0.0 }
                record["neighbors"] = .array(mine.map { .string($0.rawValue) })
            }
            entries.append(.signed(key: RegistryKey(owner: id, kind: .node, id: id.rawValue), version: EntryVersion(generation: 1, counter: 1),
                                   payload: JSONValue.object(record).serialized(), by: meshKey(for: id)))
            for (i, s) in (subjects[id] ?? []).enumerated() {
                entries.append(entry(id, .subject, s, counter: UInt64(2 + i), value: ["id": .string(s), "kind": "agent", "card": [:]]))
            }
            if let stats = measured[id] {
                var object = JSONObject()
                for (peer, stat) in stats { object[peer.rawValue] = ["rtt_ms": .double(stat.rttMilliseconds), "loss": .double(stat.loss)] }
                entries.append(entry(id, .linkHealth, id.rawValue, counter: 200, value: ["links": .object(object)]))
            }
            if let patterns = interest[id] {
                entries.append(entry(id, .interest, id.rawValue, counter: 100, value: ["patterns": .array(patterns.map { .string($0) })]))
            }
        }
        for id in ids {
            var driver = CoreDriver(id)
            let others = ids.filter { $0 != id }
            for o in others { driver.learn(o) }
            // Own link figures too: a node costs its own links from what it published, as everyone does.
            for e in entries where e.key.owner != id || e.key.kind == .linkHealth { _ = driver.core.registry.apply(e) }
            meshes[id] = driver.core
            var core = RoutingCore(me: id, settings: settings)
            _ = core.syncAll(driver.core, now: now)
            cores[id] = core
        }
    }

    mutating func originate(at node: NodeID, _ id: MessageID, to subjects: [String] = [], topic: String = "t") {
        let admission = cores[node]!.originate(id, payload: Array("m".utf8), destinations: subjects, topic: topic, now: now)
        guard case .accepted = admission else { Issue.record("origin refused: \(admission)"); return }
        carry(cores[node]!.persisted(id, now: now), at: node)
    }

    mutating func carry(_ out: [ForwardDirective], at node: NodeID) {
        for d in out {
            switch d {
            case .send(let frame, let to): wire.append((node, to, .data(frame)))
            case .ack(let ack, let to): wire.append((node, to, .acks([ack])))
            case .deliver(let id): delivered[node, default: []].append(id)
            case .released: break
            case .deadLetter(let id, _, let reason): deadLetters.append((node, id, reason))
            case .schedule(let timer, let after): timers[node, default: []].append((now + after, timer))
            case .checkPeer(let peer): peersChecked.append((node, peer))
            }
        }
    }

    /// Delivers everything on the wire (and what that causes) to nodes that are up; frames to
    /// or from a down node are lost.
    mutating func deliverAll(limit: Int = 10_000) {
        var steps = 0
        while !wire.isEmpty, steps < limit {
            steps += 1
            let (from, to, frame) = wire.removeFirst()
            guard !down.contains(to), !down.contains(from) else { continue }
            switch frame {
            case .data(let data):
                let (admission, out) = cores[to]!.receive(data, from: from, now: now)
                carry(out, at: to)
                if case .accepted = admission { carry(cores[to]!.persisted(data.id, now: now), at: to) }
                if case .refused(let reason) = admission { deadLetters.append((to, data.id, reason)) }
            case .acks(let acks):
                carry(cores[to]!.acked(acks, from: from, now: now), at: to)
            default: break
            }
        }
    }

    /// Advances time and fires every routing timer due.
    mutating func advance(_ d: Duration) {
        now = now + d
        for id in cores.keys.sorted() where !down.contains(id) {
            let due = (timers[id] ?? []).filter { $0.0 <= now }
            timers[id] = (timers[id] ?? []).filter { $0.0 > now }
            for (_, t) in due { carry(cores[id]!.timerFired(t, now: now), at: id) }
        }
    }

    /// `node` learns that `owner` announces `subject` (a registry entry reaching it by gossip)
    /// and its routing core follows.
    mutating func announce(_ subject: String, at owner: NodeID, seenBy node: NodeID, counter: UInt64) {
        learn(entry(owner, .subject, subject, counter: counter, value: ["id": .string(subject), "kind": "agent", "card": [:]]), seenBy: node)
    }

    /// `node` learns a registry entry (as gossip would bring it) and its routing core follows.
    mutating func learn(_ learned: RegistryEntry, seenBy node: NodeID) {
        var driver = CoreDriver(node, start: false)
        driver.core = meshes[node]!
        _ = driver.core.registry.apply(learned)
        meshes[node] = driver.core
        carry(cores[node]!.meshChanged(driver.core, owners: [learned.key.owner], members: [NodeID](), now: now), at: node)
    }

    /// Every node except `node` learns it is dead (as the membership protocol would tell them).
    mutating func declareDead(_ node: NodeID) {
        tellOthers(about: node) { .dead(id: node, incarnation: 0, from: $0) }
    }

    /// Every node except `node` learns it is suspected (by itself, so no one else has to).
    mutating func declareSuspect(_ node: NodeID) {
        tellOthers(about: node) { .suspect(id: node, incarnation: 0, from: $0) }
    }

    /// Every node except `node` learns it is alive at `incarnation` (a restart, or its answer to
    /// a suspicion, as the membership protocol would tell them).
    mutating func declareAlive(_ node: NodeID, incarnation: UInt64) {
        tellOthers(about: node) { _ in .alive(id: node, incarnation: incarnation, address: node.rawValue) }
    }

    /// Every running node but `node` takes `item` (made for the receiver) into its membership,
    /// and its routing core sees the change.
    private mutating func tellOthers(about node: NodeID, _ item: (NodeID) -> GossipItem) {
        for id in cores.keys.sorted() where id != node && !down.contains(id) {
            var driver = CoreDriver(id, start: false)
            driver.core = meshes[id]!
            driver.now = now
            _ = driver.receive(.gossip([item(id)]), from: id)
            meshes[id] = driver.core
            carry(cores[id]!.meshChanged(driver.core, owners: [NodeID](), members: [node], now: now), at: id)
        }
    }
}

func mid(_ n: UInt8) -> MessageID {
    MessageID(bytes: [UInt8](repeating: 0, count: 15) + [n])
}
