import Foundation
import Logging
import PlexusCore
import Testing

@testable import PlexusSessions

/// The session store on a real SQLite file: what is written is what a reopened store reads,
/// the schedule column follows the session, callbacks are recorded once.
@Suite struct SessionStoreTests {
    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "plexus-sessions-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func draft(_ body: JSONValue, now: Timestamp) throws -> HumanSession {
        try SessionDraft(body, now: now).session(id: "s-1", now: now)
    }

    @Test func sessionSurvivesReopenWithItsSchedule() async throws {
        let path = try Self.directory() + "/sessions.sqlite"
        let now = Timestamp(seconds: 1_700_000_000)
        let session = try Self.draft(["subject_id": "agent-1", "message_data": ["message": "ok?"], "expires_in": 60], now: now)
        let store = try await SessionStore.open(path: path, logger: Logger(label: "test"))
        #expect(try await store.insert(session))
        #expect(try await store.insert(session) == false)
        await store.close()

        let reopened = try await SessionStore.open(path: path, logger: Logger(label: "test"))
        #expect(try await reopened.load("s-1") == session)
        // Pending: due now for its first delivery (before the expiry a minute later).
        #expect(try await reopened.nextDue() == now)
        #expect(try await reopened.due(now: now).map(\.id) == ["s-1"])
        var sent = session
        sent.status = .sent
        try await reopened.save(sent, now: now)
        #expect(try await reopened.nextDue() == now.adding(microseconds: 60_000_000))
        #expect(try await reopened.due(now: now).isEmpty)
        #expect(try await reopened.list(status: .sent).map(\.id) == ["s-1"])
        #expect(try await reopened.list(status: .pending).isEmpty)
        await reopened.close()
    }

    @Test func aCallbackIsRecordedOnce() async throws {
        let path = try Self.directory() + "/sessions.sqlite"
        let now = Timestamp(seconds: 1_700_000_000)
        let session = try Self.draft(["subject_id": "agent-1", "message_data": ["message": "ok?"]], now: now)
        let store = try await SessionStore.open(path: path, logger: Logger(label: "test"))
        _ = try await store.insert(session)
        #expect(try await store.callbackUsed("token:abc") == false)
        try await store.save(session, callback: "token:abc", now: now)
        #expect(try await store.callbackUsed("token:abc"))
        // A second use of the same key fails and changes nothing.
        var changed = session
        changed.status = .validated
        await #expect(throws: (any Error).self) { try await store.save(changed, callback: "token:abc", now: now) }
        #expect(try await store.load("s-1")?.status == .pending)
        await store.close()
    }
}
