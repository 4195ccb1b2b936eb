import Foundation
import PlexusCore
import PlexusStore
import Testing

/// Subject inboxes survive a restart: a message for a subject homed here stays in the inbox
/// table until the subject acknowledges it.
@Suite("MessageStore inbox")
/// One suite, two stores: every test runs against SQLite and PostgreSQL.
struct MessageStoreInboxTests {
    @Test(arguments: StoreKind.allCases) func inboxRowsAreWrittenWithTheLogRowAndRemovedByAcks(kind: StoreKind) async throws {
        var factory = RecordFactory()
        var first = try factory.record(at: 1, to: ["bob", "carol"], role: .destination)
        first.inbox = ["bob", "carol"]
        var second = try factory.record(at: 2, to: ["bob"], role: .destination)
        second.inbox = ["bob"]
        let unrelated = try factory.record(at: 3, to: ["dave"])
        try await withStore(kind) { store, location in
            _ = try await store.append([first, second, unrelated])
            let held = try await store.inbox()
            #expect(held.map(\.subject) == ["bob", "carol", "bob"])
            #expect(held.map(\.messageID) == [first.envelope.messageID, first.envelope.messageID, second.envelope.messageID])
            #expect(held.first?.json == first.json)
            store.inboxAcknowledged([InboxAck(subject: "bob", messageID: first.envelope.messageID)])
            try await store.close()

            // The ack rode with the close's final commit; the rest is still held.
            let reopened = try await location.open()
            let after = try await reopened.inbox()
            #expect(after.map { "\($0.subject) \($0.messageID)" }
                == ["carol \(first.envelope.messageID)", "bob \(second.envelope.messageID)"])
            try await reopened.close()
        }
    }

    /// A copy logged again (a retransmission, a client retry) is not queued again: it may have
    /// been acknowledged already. A relay row that becomes a destination is.
    @Test(arguments: StoreKind.allCases) func onlyNewOrPromotedRowsAreQueued(kind: StoreKind) async throws {
        var factory = RecordFactory()
        var delivered = try factory.record(at: 1, to: ["bob"], role: .destination)
        delivered.inbox = ["bob"]
        var relayed = try factory.record(at: 2, to: ["bob"], role: .relay)
        try await withStore(kind) { store, _ in
            _ = try await store.append([delivered, relayed])
            store.inboxAcknowledged([InboxAck(subject: "bob", messageID: delivered.envelope.messageID)])
            #expect(try await store.append([delivered]) == [.duplicate])
            relayed.role = .destination
            relayed.inbox = ["bob"]
            #expect(try await store.append([relayed]) == [.promoted])
            #expect(try await store.inbox().map(\.messageID) == [relayed.envelope.messageID])
        }
    }
}
