import Foundation
import Logging
import PlexusCore
import PlexusWebhooks
import Synchronization
import Testing

@testable import PlexusSessions

/// The session service on a real store with the clock and the channel as inputs: deliveries
/// retried on the durable schedule, expiry applied after a "restart" (a new service on the same
/// file), results published once with the id fixed at validation.
@Suite struct SessionServiceTests {
    /// A channel whose outcomes the test scripts; records every prompt.
    final class ScriptedSender: ChannelSender {
        let outcomes: Mutex<[ChannelDeliveryOutcome]>
        let prompts = Mutex<[ChannelPrompt]>([])
        init(_ outcomes: [ChannelDeliveryOutcome]) { self.outcomes = Mutex(outcomes) }
        func deliver(_ prompt: ChannelPrompt, over channel: ChannelRecord) async -> ChannelDeliveryOutcome {
            prompts.withLock { $0.append(prompt) }
            return outcomes.withLock { $0.isEmpty ? .delivered : $0.removeFirst() }
        }
    }

    final class Harness: Sendable {
        let clock = Mutex(Timestamp(seconds: 1_760_000_000))
        let published = Mutex<[Envelope]>([])
        let events = Mutex<[String]>([])
        let path: String
        let sender: ScriptedSender

        init(sender: ScriptedSender, path: String? = nil) {
            self.sender = sender
            self.path = path ?? NSTemporaryDirectory() + "plexus-sessions-\(UUID().uuidString).sqlite"
        }

        func advance(seconds: Double) { clock.withLock { $0 = $0.adding(microseconds: Int64(seconds * 1_000_000)) } }

        func service() async throws -> SessionService {
            let store = try await SessionStore.open(path: path, logger: Logger(label: "test"))
            let environment = SessionService.Environment(
                clock: { self.clock.withLock { $0 } }, channel: { _ in nil },
                publish: { envelopes in
                    self.published.withLock { $0 += envelopes }
                    return envelopes.map { _ in nil }
                },
                notify: { event in self.events.withLock { $0.append(event.kind) } }, baseURL: { "http://node.test" }, sender: sender,
                retry: WebhookRetrySchedule(baseDelay: .seconds(10), maxDelay: .seconds(10), maxAttempts: 3, maxAge: nil), node: "node-t")
            return SessionService(store: store, key: Array(repeating: 7, count: 32), environment: environment, seed: 42, logger: Logger(label: "test"))
        }
    }

    /// Runs the service's loop while `body` runs, then stops it and closes the store, also when
    /// `body` fails (sqlite-nio asserts on a connection never closed).
    static func running(_ service: SessionService, _ body: () async throws -> Void) async throws {
        let loop = Task { await service.run() }
        let result = await caught { try await body() }
        loop.cancel()
        await loop.value
        await Task { await service.store.close() }.value
        try result.get()
    }

    /// Polls `condition`; 30 s is far above the milliseconds it takes, for a loaded CI machine.
    static func until(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw SessionServiceTestFailure(what)
    }

    @Test func failedDeliveriesAreRetriedOnTheScheduleThenGiveUp() async throws {
        let harness = Harness(sender: ScriptedSender([.transient("HTTP 503"), .transient("timed out"), .transient("HTTP 503")]))
        let service = try await harness.service()
        try await Self.running(service) {
            let (session, _) = try await service.create(["subject_id": "agent-1", "message_data": ["message": "?"]])
            try await Self.until("first attempt") { harness.sender.prompts.withLock { $0.count } == 1 }
            try await Self.until("first failure recorded") { try await service.session(session.id).deliveryAttempts == 1 }
            // Not before the retry is due; then the second, the third, and the schedule is spent.
            #expect(harness.sender.prompts.withLock { $0.count } == 1)
            for attempt in 2...3 {
                harness.advance(seconds: 11)
                service.wakeup.signal()
                try await Self.until("attempt \(attempt)") { try await service.session(session.id).deliveryAttempts == attempt }
            }
            let failed = try await service.session(session.id)
            #expect(failed.status == .failed)
            #expect(failed.reason?.contains("could not deliver") == true)
        }
    }

    @Test func anExpiryPassedWhileDownIsAppliedOnTheFirstTurnAfterRestart() async throws {
        let harness = Harness(sender: ScriptedSender([]))
        let first = try await harness.service()
        let created = await caught { try await first.create(["subject_id": "agent-1", "message_data": ["message": "?"], "expires_in": 30]) }
        await first.store.close()
        let (session, _) = try created.get()
        // Down for a minute.
        harness.advance(seconds: 60)
        let second = try await harness.service()
        try await Self.running(second) {
            try await Self.until("expired") { try await second.session(session.id).status == .expired }
        }
        #expect(harness.sender.prompts.withLock { $0.isEmpty }, "an expired session is never delivered")
        #expect(harness.events.withLock { $0.contains("session.expired") })
    }

    @Test func aValidatedResultIsPublishedOnceWithItsFixedID() async throws {
        let harness = Harness(sender: ScriptedSender([]))
        let service = try await harness.service()
        try await Self.running(service) {
            let (session, _) = try await service.create(["subject_id": "agent-1", "message_data": ["message": "?"]])
            try await Self.until("sent") { try await service.session(session.id).status == .sent }
            let done = try await service.reply(session.id, data: ["ok": true], approver: nil)
            try await Self.until("published") { try await service.session(session.id).resultPublished }
            let envelopes = harness.published.withLock { $0 }
            #expect(envelopes.count == 1)
            #expect(envelopes.first?.messageID == done.resultMessageID)
            #expect(envelopes.first?.topic.value == "agent-1__human_intervention_results")
            #expect(envelopes.first?.messageData["event_payload"] == ["ok": true])
            // The prompt's links carry the round's token, verified by the service.
            let prompt = try #require(harness.sender.prompts.withLock { $0.first })
            #expect(prompt.responseURL.hasPrefix("http://node.test/webhook-response?token="))
        }
    }
}

struct SessionServiceTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `body`'s value or error, so cleanup can run before the error is rethrown.
func caught<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}
