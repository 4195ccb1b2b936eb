import Logging
import PlexusAPI
import PlexusCore
import PlexusPeer
import PlexusStore
import ServiceLifecycle

/// Runs the mesh driver for the node's lifetime: starts it (binding the peer listener) and, on
/// graceful shutdown, leaves the mesh so peers mark the node left rather than suspect it.
struct MeshService: Service {
    let driver: MeshDriver
    let store: any MessageStore
    let hub: StreamHub
    let pushes: PushSubscriptions
    let logger: Logger
    let httpURL: @Sendable () async -> String?
    /// Receives the mesh address once the listener is bound; finished on every path, so a
    /// waiter learns the mesh did not start instead of waiting forever.
    let started: AsyncStream<String>.Continuation
    /// The mesh-wide configuration, spread and learnt through the registry.
    var config: ConfigStore?

    func run() async throws {
        defer { started.finish() }
        guard let url = await httpURL() else { return }
        let address = try await driver.start(record: ["http_url": .string(url)])
        // Resume forwarding what the outbox held when the node last stopped (or crashed).
        let held = try await store.outbox()
        try await driver.restore(held.map { ($0.messageID, $0.json, $0.hopCount, $0.targets) })
        if !held.isEmpty { logger.info("resuming \(held.count) message(s) held in the outbox") }
        // Subjects of push subscriptions saved by an earlier run are homed here again.
        for subject in pushes.all.compactMap(\.subject) {
            try? await driver.publish(kind: .subject, id: subject, value: try SubjectRecord.validate(id: subject, body: [:]))
        }
        started.yield(address)
        started.finish()
        let configChanges = config.map { startConfig($0) }
        // Topic interest follows the live-stream clients; announced when it changes.
        await withTaskGroup(of: Void.self) { group in
            if let config, let configChanges {
                group.addTask { await followConfig(config, configChanges) }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await driver.setInterest(Array(Set(hub.interestPatterns + pushes.topicPatterns)))
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await driver.stop()
    }

    /// Publishes every version this node holds (so a restarted mesh relearns its configuration
    /// from whichever node kept it) and starts watching other nodes' entries.
    private func startConfig(_ config: ConfigStore) -> AsyncStream<[RegistryEntry]> {
        let driver = driver
        config.setPublisher { item in await Self.publish(item, on: driver) }
        let (changes, continuation) = AsyncStream.makeStream(of: [RegistryEntry].self, bufferingPolicy: .bufferingNewest(1))
        driver.observeRegistry(.config) { continuation.yield($0) }
        return changes
    }

    /// Takes newer versions from other nodes of this organisation and republishes them as this
    /// node's own (see `ConfigStore`). Each change carries every live entry, so only the newest
    /// snapshot matters when several queue up.
    private func followConfig(_ config: ConfigStore, _ changes: AsyncStream<[RegistryEntry]>) async {
        for item in config.config.items.values.sorted(by: { $0.key < $1.key }) { await Self.publish(item, on: driver) }
        let me = driver.nodeID
        for await entries in changes {
            let items = entries.compactMap { entry -> ConfigItem? in
                guard entry.key.owner != me, entry.key.owner.organisation == me.organisation, let value = entry.value else { return nil }
                return try? ConfigItem(json: value)
            }
            for item in config.merge(remote: items) {
                logger.info("configuration changed", metadata: ["plexus.config": "\(item.key)", "plexus.version": "\(item.version)",
                                                                "plexus.peer": "\(item.node)"])
                await Self.publish(item, on: driver)
            }
        }
    }

    static func publish(_ item: ConfigItem, on driver: MeshDriver) async {
        try? await driver.publish(kind: .config, id: item.key.registryID, value: item.json)
    }
}

/// The API's view of the mesh, read from driver snapshots.
struct DriverMeshAccess: MeshAccess {
    let driver: MeshDriver

    func publish(kind: RegistryKind, id: String, value: JSONValue?) async throws {
        try await driver.publish(kind: kind, id: id, value: value)
    }

    func routes() async throws -> JSONValue {
        let snapshot = try await driver.routeSnapshot()
        let routes: [JSONValue] = snapshot.table.sortedRoutes.map { r in
            [
                "destination": .string(r.destination.rawValue), "next_hop": .string(r.nextHop.rawValue),
                "cost_ms": .double((r.cost * 100).rounded() / 100), "hops": .integer(Int64(r.hops)),
                "alternative": r.alternative.map { .string($0.rawValue) } ?? .null,
                "alternative_cost_ms": r.alternativeCost.map { .double(($0 * 100).rounded() / 100) } ?? .null,
            ]
        }
        let s = snapshot.stats
        let interest: JSONObject = JSONObject(uniqueKeysWithValues: snapshot.graph.nodes.keys.sorted().compactMap { id in
            let patterns = snapshot.graph.nodes[id]!.interest
            return patterns.isEmpty ? nil : (id.rawValue, .array(patterns.map { .string($0.value) }))
        })
        return [
            "node": .string(snapshot.table.me.rawValue),
            "up": .array(snapshot.graph.up.sorted().map { .string($0.rawValue) }),
            "routes": .array(routes),
            "interest": .object(interest),
            "outbox": .integer(Int64(snapshot.held)),
            "forwarding": [
                "originated": .integer(Int64(s.originated)), "accepted": .integer(Int64(s.accepted)),
                "duplicates": .integer(Int64(s.duplicates)), "transmissions": .integer(Int64(s.transmissions)),
                "retransmissions": .integer(Int64(s.retransmissions)), "ack_timeouts": .integer(Int64(s.timeouts)),
                "ack_waits_extended": .integer(Int64(s.ackWaitsExtended)),
                "failovers": .integer(Int64(s.failovers)), "failed_over_in_flight": .integer(Int64(s.failedOverInFlight)),
                "lost_transmissions": .integer(Int64(s.lostTransmissions)),
                "acks_received": .integer(Int64(s.acksReceived)), "delivered": .integer(Int64(s.delivered)),
                "released": .integer(Int64(s.released)), "dead_lettered": .integer(Int64(s.deadLettered)),
                "busy": .integer(Int64(s.busy)),
            ],
        ]
    }

    func view() async throws -> MeshView {
        let snapshot = try await driver.snapshot()
        let core = snapshot.core
        let heartbeat = Dictionary(snapshot.links.filter { $0.direction == "outbound" }.map { ($0.node, $0.rttMilliseconds) }, uniquingKeysWith: { a, _ in a })
        let connected = Set(snapshot.links.map(\.node))
        let stats = core.linkStats
        let members = core.members.values.sorted { $0.id < $1.id }.map { m in
            MeshView.MemberView(id: m.id, address: m.address, status: m.status, incarnation: m.incarnation,
                                connected: connected.contains(m.id), heartbeatRTTMilliseconds: heartbeat[m.id] ?? nil,
                                probeRTTMilliseconds: stats[m.id]?.rttMilliseconds, loss: stats[m.id]?.loss)
        }
        let entries = core.registry.entries.values.filter { !$0.isTombstone }.sorted { $0.key < $1.key }
        let c = snapshot.counters
        return MeshView(node: core.me, organisation: snapshot.identity.organisation, cluster: snapshot.identity.cluster,
                        address: core.address, incarnation: core.incarnation, members: members, entries: entries,
                        registryStats: core.registry.stats, meshStats: core.stats,
                        transport: [("handshakes_refused", c.handshakesRefused), ("protocol_errors", c.protocolErrors),
                                    ("dial_failures", c.dialFailures), ("frames_dropped", c.framesDropped), ("unroutable", c.unroutable)])
    }
}
