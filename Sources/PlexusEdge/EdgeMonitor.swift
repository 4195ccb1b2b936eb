import Synchronization

/// An edge's health, updated by its loops and read by `/healthz` and the registry publisher.
public final class EdgeMonitor: Sendable {
    private let health: Mutex<EdgeHealth>

    public init(kind: String, server: String) {
        health = Mutex(EdgeHealth(kind: kind, server: server))
    }

    public var snapshot: EdgeHealth { health.withLock { $0 } }

    func update(_ body: (inout EdgeHealth) -> Void) {
        health.withLock { body(&$0) }
    }

    func failed(_ error: any Error) {
        let text = "\(error)"
        health.withLock {
            $0.errors += 1
            $0.lastError = text
        }
    }
}
