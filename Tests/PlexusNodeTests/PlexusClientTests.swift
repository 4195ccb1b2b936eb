import Foundation
import PlexusClient
import PlexusCore
import Testing

/// The Swift SDK against a real node: messages sent, queried and tailed; a question asked with
/// `sendAndWaitForResponse` answered by a person, expiring, and withdrawn.
@Suite struct PlexusClientTests {
    /// Answers the first session that reaches `sent` with `data`, as a person would.
    static func answerFirstSession(on node: TestNode, with data: JSONValue) -> Task<Void, any Error> {
        Task {
            var id: String?
            try await eventually("a session was sent") {
                id = try await HTTP.get(node.base + "/v1/sessions?status=sent").json?["sessions"]?.arrayValue?.first?["session_id"]?.stringValue
                return id != nil
            }
            _ = try await HTTP.post(node.base + "/v1/sessions/\(id ?? "")/reply", json: ["response_data": data])
        }
    }

    @Test func sendAndWaitReturnsTheValidatedAnswer() async throws {
        let node = try await SessionNodeTests.start()
        defer { Task { try await node.stop() } }
        let plexus = PlexusClient(baseURL: node.base)
        let person = Self.answerFirstSession(on: node, with: ["approved": true])
        let request = SessionRequest(
            subjectID: "agent-sdk", question: "Refund 180 EUR?", template: ["policy_input_schema": ["approved": ["type": "boolean"]]],
            expiry: .after(.seconds(120)))
        let answer = try await plexus.sendAndWaitForResponse(request, timeout: .seconds(60))
        try await person.value
        #expect(answer.data == ["approved": true])
        #expect(try await plexus.session(answer.sessionID).status == .validated)
    }

    @Test func anExpiryIsThrownNeverReturnedAsAnAnswer() async throws {
        let node = try await SessionNodeTests.start()
        defer { Task { try await node.stop() } }
        let plexus = PlexusClient(baseURL: node.base)
        do {
            _ = try await plexus.sendAndWaitForResponse(SessionRequest(subjectID: "agent-sdk", question: "Quick?", expiry: .after(.seconds(1))),
                                                        timeout: .seconds(60))
            Issue.record("an expired session returned an answer")
        } catch {
            #expect(error.code == .expired)
        }
    }

    @Test func aWithdrawnQuestionIsRejected() async throws {
        let node = try await SessionNodeTests.start()
        defer { Task { try await node.stop() } }
        let plexus = PlexusClient(baseURL: node.base)
        let created = try await plexus.createSession(SessionRequest(subjectID: "agent-sdk", question: "Still needed?"))
        let rejected = try await plexus.rejectSession(created.id, reason: "solved")
        #expect(rejected.status == .rejected && rejected.reason == "solved")
        // Waiting on a session that ended reports how it ended.
        var seen: [HumanSessionStatus] = []
        for try await update in plexus.sessionUpdates(created.id) { seen.append(update.status) }
        #expect(seen.last == .rejected)
    }

    @Test func messagesAreSentQueriedAndTailed() async throws {
        let node = try await SessionNodeTests.start()
        defer { Task { try await node.stop() } }
        let plexus = PlexusClient(baseURL: node.base)
        let tail = plexus.tail(topic: "sdk.>")
        try await node.waitForStreamClients(1)
        let id = try await plexus.send(topic: "sdk.events", data: ["n": 1], to: ["agent-b"], from: "agent-a")
        var iterator = tail.makeAsyncIterator()
        let streamed = try await iterator.next()
        #expect(streamed?["message_uuid"] == .string(id.description))
        #expect(try await plexus.message(id)?["message_data"] == ["n": 1])
        #expect(try await plexus.messages(topic: "sdk.events").compactMap { $0["message_uuid"]?.stringValue } == [id.description])
    }
}
