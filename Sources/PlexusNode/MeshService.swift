import Logging
import PlexusAPI
import PlexusCore
import PlexusPeer
import ServiceLifecycle

/// Runs the mesh driver for the node's lifetime: starts it (binding the peer listener) and, on
/// graceful shutdown, leaves the mesh so peers mark the node left rather than suspect it.
struct MeshService: Service {
    let driver: MeshDriver
    let httpURL: @Sendable () async -> String?
    /// Receives the mesh address once the listener is bound; finished on every path, so a
    /// waiter learns the mesh did not start instead of waiting forever.
    let started: AsyncStream<String>.Continuation

    func run() async throws {
        defer { started.finish() }
        guard let url = await httpURL() else { return }
        let address = try await driver.start(record: ["http_url": .string(url)])
        started.yield(address)
        started.finish()
        try? await gracefulShutdown()
        await driver.stop()
    }
}

/// The API's view of the mesh, read from driver snapshots.
struct DriverMeshAccess: MeshAccess {
    let driver: MeshDriver

    func publish(kind: RegistryKind, id: String, value: JSONValue?) async throws {
        try await driver.publish(kind: kind, id: id, value: value)
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
