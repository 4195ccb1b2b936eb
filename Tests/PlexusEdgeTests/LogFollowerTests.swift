import Foundation
import Logging
import PlexusCore
import PlexusEdge
import PlexusStore
import PlexusTestSupport
import Synchronization
import Testing

/// The follower against the real SQLite log: what it hands on, in what order, and that a failed
/// publish is offered again rather than skipped.
@Suite("LogFollower")
struct LogFollowerTests {
    @Test func publishesDeliveredMessagesInLogOrderFromWhereItStopped() async throws {
        try await withLog { store, directory in
            var rng = SplitMix64(seed: 1)
            func record(_ topic: String, _ role: LogRole) throws -> LogRecord {
                var envelope = Envelope(messageID: .v7(now: Timestamp(microseconds: 1_000_000), rng: &rng),
                                        originTS: Timestamp(microseconds: 1_000_000), topic: try Topic(topic))
                envelope.messageType = "event"
                return LogRecord(envelope: envelope, role: role)
            }
            // History before the first start is not published.
            _ = try await store.append([try record("old.one", .origin)])
            let signal = LogSignal()
            let cursor = LogCursor(path: directory + "/edges/test.cursor")
            let seen = Shared<[String]>([])
            let failOnce = Shared(true)
            let follower = {
                var follower = LogFollower(store: store, signal: signal, cursor: cursor)
                follower.retryDelay = .milliseconds(10)
                return follower
            }()
            let run = Task {
                try await follower.run(publish: { batch in
                    if failOnce.withLock({ let first = $0; $0 = false; return first }), !batch.isEmpty {
                        throw EdgeError(.server, "the first publish fails")
                    }
                    seen.withLock { $0 += batch.map(\.topic) }
                }, lag: { _ in }, failed: { _ in })
            }
            try await waitUntil("the cursor saved") { (try? cursor.load()) != nil }
            _ = try await store.append([try record("a.one", .origin), try record("a.relayed", .relay), try record("a.two", .destination)])
            signal.poke()
            try await waitUntil("two published") { seen.withLock { $0.count } == 2 }
            run.cancel()
            _ = try? await run.value
            #expect(seen.withLock { $0 } == ["a.one", "a.two"])
            #expect(try cursor.load() == (try await store.lastSequence()))

            // A restart continues from the cursor.
            _ = try await store.append([try record("b.three", .origin)])
            let again = Task {
                try await follower.run(publish: { batch in seen.withLock { $0 += batch.map(\.topic) } }, lag: { _ in }, failed: { _ in })
            }
            try await waitUntil("three published") { seen.withLock { $0.count } == 3 }
            again.cancel()
            _ = try? await again.value
            #expect(seen.withLock { $0 } == ["a.one", "a.two", "b.three"])
        }
    }

    private func withLog(_ body: (SQLiteMessageStore, String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-edge-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let store = try await SQLiteMessageStore.open(path: directory + "/log.sqlite", logger: logger)
        do { try await body(store, directory) } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }
}

/// A value tests share with the tasks they start.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}
