import Logging
import PlexusCore
import PlexusStore

/// Follows the log from a durable cursor and hands an egress the messages this node delivers
/// (role `origin` or `destination`; a relay only passes messages on), in log order, batch by
/// batch. A batch is published before the cursor moves past it, so a crash, a node restart or an
/// outage of the edge's server makes it publish again, never skip: at least once.
public struct LogFollower: Sendable {
    public var store: any MessageStore
    public var signal: LogSignal
    public var cursor: LogCursor
    public var batch: Int = 512
    /// Wait after a failed publish, doubling up to `maxRetryDelay`.
    public var retryDelay: Duration = .milliseconds(100)
    public var maxRetryDelay: Duration = .seconds(5)

    public init(store: any MessageStore, signal: LogSignal, cursor: LogCursor) {
        self.store = store
        self.signal = signal
        self.cursor = cursor
    }

    /// The saved position; on the very first start the end of the log, saved at once. Call it
    /// before the node ingests through the edge, so nothing logged after it counts as history.
    @discardableResult
    public func prepare() async throws -> Int64 {
        if let saved = try cursor.load() { return saved }
        let end = try await store.lastSequence()
        try cursor.save(end)
        return end
    }

    /// Runs until cancelled. `publish` gets the deliverable messages of one batch (possibly
    /// none) and throws to have the same batch offered again after a delay; `lag` learns how
    /// far behind the log the egress is, `failed` every error (the loop itself keeps going).
    public func run(
        publish: ([StoredMessage]) async throws -> Void,
        lag: (Int64) -> Void,
        failed: (any Error) -> Void
    ) async throws {
        var delay = retryDelay
        var position: Int64
        while true {
            do {
                position = try await prepare()
                break
            } catch {
                // A corrupt cursor file stops the egress until someone looks: the health says so.
                failed(error)
                try await Task.sleep(for: delay)
                delay = min(delay * 2, maxRetryDelay)
            }
        }
        delay = retryDelay
        while !Task.isCancelled {
            let seen = signal.generation
            let entries: [StoredMessage]
            do {
                entries = try await store.messages(after: position, limit: batch)
            } catch {
                failed(error)
                try await Task.sleep(for: delay)
                delay = min(delay * 2, maxRetryDelay)
                continue
            }
            guard let last = entries.last else {
                lag(0)
                await signal.wait(after: seen, timeout: .seconds(1))
                continue
            }
            do {
                try await publish(entries.filter { $0.role != .relay })
            } catch is CancellationError {
                return
            } catch {
                failed(error)
                try await Task.sleep(for: delay)
                delay = min(delay * 2, maxRetryDelay)
                continue
            }
            delay = retryDelay
            position = last.seq
            do {
                try cursor.save(position)
            } catch {
                // Publishing goes on from memory; a restart would publish again from the last
                // saved position (at least once).
                failed(error)
            }
            if entries.count == batch, let end = try? await store.lastSequence() {
                lag(max(0, end - position))
            } else {
                lag(0)
            }
        }
    }
}
