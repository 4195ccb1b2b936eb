import Foundation
import NIOCore
import PlexusCore
import PlexusStore
import SQLiteNIO
import Testing

/// The forwarding outbox: what a node holds for its next hops survives a restart with its body,
/// and a release drops it — with the next commit, or by itself shortly after when nothing else
/// is written.
@Suite("MessageStore outbox")
struct MessageStoreOutboxTests {
    @Test(arguments: StoreKind.allCases) func heldMessagesComeBackWithTheirBodiesUntilReleased(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let n2 = RouteTarget.node(NodeID("org.n2")), n3 = RouteTarget.node(NodeID("org.n3"))
        var first = try factory.record(at: 1, to: ["bob"], data: "first body")
        first.outbox = [n2]
        first.hopCount = 2
        var second = try factory.record(at: 2, to: ["carol"], role: .relay)
        second.outbox = [n3]
        let unheld = try factory.record(at: 3, to: ["dave"])
        var third = try factory.record(at: 4, to: ["erin"], data: ["nested": [1, 2]])
        third.outbox = [.subject("erin")]
        let fourth = try factory.record(at: 5, to: ["frank"])
        try await withStore(kind) { store, location in
            _ = try await store.append([first, second, unheld, third])
            // Taken again for another next hop: the targets merge, the body stays the log row's.
            var again = first
            again.outbox = [n3]
            #expect(try await store.append([again]) == [.duplicate])
            store.release([second.envelope.messageID])
            try await store.close()

            // The release rode with the close's final commit.
            let reopened = try await location.open()
            let held = try await reopened.outbox()
            #expect(held.map(\.messageID) == [first.envelope.messageID, third.envelope.messageID])
            #expect(held.map(\.json) == [first.json, third.json])
            #expect(held.first?.targets == [n2, n3])
            #expect(held.first?.hopCount == 2)
            #expect(held.last?.targets == [.subject("erin")])

            // A release rides with the next append; one queued after it, with nothing else to
            // commit, is written by itself soon after — though the timer armed for the first
            // was still pending then (one timer at a time: it fires early and waits again).
            reopened.release([first.envelope.messageID])
            #expect(try await reopened.append([fourth]).first?.isNewlyLogged == true)
            reopened.release([third.envelope.messageID])
            let deadline = ContinuousClock.now + .seconds(30)
            var remaining = try await reopened.outbox().map(\.messageID)
            while !remaining.isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                remaining = try await reopened.outbox().map(\.messageID)
            }
            #expect(remaining.isEmpty)
            try await reopened.close()
        }
    }

    /// Outbox rows of builds that still copied the body into the row read back with that body.
    @Test func rowsThatCarryTheirOwnBodyStillReadBack() async throws {
        let own: [UInt8] = Array(#"{"older":"copy"}"#.utf8)
        try await withOneHeldMessage { store, _, connection in
            let rows = try await connection.query("SELECT length(body) AS n FROM outbox").compactMap { $0.column("n")?.integer }
            #expect(rows == [0])  // this build writes no copy
            _ = try await connection.query("UPDATE outbox SET body = ?", [.blob(ByteBuffer(bytes: own))])
            try await connection.close()
            #expect(try await store.outbox().map(\.json) == [own])
        }
    }

    /// A row whose log row is missing (which the store never writes) is skipped, and the rest of
    /// the outbox still resumes.
    @Test func aRowWithoutItsLogRowIsSkipped() async throws {
        try await withOneHeldMessage { store, held, connection in
            _ = try await connection.query(
                "INSERT INTO outbox (message_uuid, hop_count, targets, enqueued_at, body) VALUES (randomblob(16), 0, 'node:org.n3', 0, x'')")
            try await connection.close()
            #expect(try await store.outbox().map(\.messageID) == [held.envelope.messageID])
        }
    }

    /// A SQLite store holding one message for a next hop, and a second connection to its file
    /// (which `body` closes).
    private func withOneHeldMessage(_ body: (SQLiteMessageStore, LogRecord, SQLiteConnection) async throws -> Void) async throws {
        var factory = RecordFactory()
        var held = try factory.record(at: 1, to: ["bob"])
        held.outbox = [.node(NodeID("org.n2"))]
        try await withStore { store, path in
            _ = try await store.append([held])
            let connection = try await SQLiteConnection.open(storage: .file(path: path))
            do { try await body(store, held, connection) } catch {
                try? await connection.close()
                throw error
            }
        }
    }
}
