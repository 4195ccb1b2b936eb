import Dispatch

/// Runs CPU-heavy simulation work on one dedicated serial queue instead of Swift's cooperative pool.
/// The pool has one thread per core (two on CI machines); a synchronous test that simulates for a
/// minute holds one of them, and several at once starve the real-node tests of other targets
/// running in the same process until their socket timeouts pass. One queue also bounds memory:
/// scenarios run one after another rather than fourteen at a time.
private let simulationQueue = DispatchQueue(label: "plexus.tests.simulation")

func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        simulationQueue.async { continuation.resume(with: Result { try body() }) }
    }
}
