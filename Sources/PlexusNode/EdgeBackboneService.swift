import Foundation
import Logging
import PlexusCore
import PlexusEdge
import PlexusPeer
import ServiceLifecycle

/// Keeps this node's edges in the registry as backbones: published at start, when an edge's
/// state changes (connected, reconnecting...) and otherwise every 30 s with fresh counters.
struct EdgeBackboneService: Service {
    let driver: MeshDriver
    let monitors: [EdgeMonitor]
    let logger: Logger
    var refresh: Duration = .seconds(30)

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var published: [String: (state: EdgeHealth.State, at: ContinuousClock.Instant)] = [:]
            while !Task.isCancelled {
                for monitor in monitors {
                    let health = monitor.snapshot
                    let now = ContinuousClock.now
                    if let last = published[health.kind], last.state == health.state, now - last.at < refresh { continue }
                    let record = EdgeBackbone.record(health, node: driver.nodeID, updatedAt: Int64(Date().timeIntervalSince1970 * 1000))
                    do {
                        try await driver.publish(kind: .backbone, id: record.systemID, value: record.payload)
                        published[health.kind] = (health.state, now)
                    } catch {
                        logger.debug("edge backbone not published yet", metadata: ["plexus.error": "\(error)"])
                    }
                }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
