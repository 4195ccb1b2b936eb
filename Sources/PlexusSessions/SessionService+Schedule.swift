import Foundation
import PlexusCore

extension SessionService {
    /// How long a delivery may take before the run loop tries again (also after a crash
    /// mid-delivery: the lease is in the store).
    static let deliveryLease: Int64 = 60_000_000
    /// The longest the loop sleeps without a reason; it is woken early by every change.
    static let idleWait: Duration = .seconds(30)

    /// Works the durable schedule until cancelled: results not yet logged, expiries, prompts
    /// to deliver. After a restart the first turn picks up whatever was due while the node was
    /// down: an expiry that passed is applied at once, never skipped.
    public func run() async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                await publishResults()
                guard let due = await dueSessions() else {
                    // The store failed: try again shortly rather than spin.
                    await wakeup.wait(timeout: .seconds(1))
                    continue
                }
                var capped = false
                for session in due {
                    let now = environment.clock()
                    if let expiry = session.expiresAt, now >= expiry {
                        _ = try? await apply(.expire, to: session.id)
                    } else if session.status == .pending {
                        guard inFlightCount < Self.maxConcurrentDeliveries else {
                            capped = true
                            continue
                        }
                        if let lease = await lease(session.id, now: now) {
                            group.addTask { await self.deliver(session.id, lease: lease) }
                        }
                    }
                }
                // At the cap, the next finished delivery wakes the loop; otherwise the next due time
                // (at least a second when nothing readable was due: an unreadable row stays due).
                var wait = capped ? Self.idleWait : await timeUntilNextDue()
                if due.isEmpty, wait == .zero { wait = .seconds(1) }
                await wakeup.wait(timeout: wait)
            }
        }
    }

    /// Most prompts being delivered at once.
    static let maxConcurrentDeliveries = 8

    func dueSessions() async -> [HumanSession]? {
        do {
            return try await store.due(now: environment.clock())
        } catch {
            if !Task.isCancelled { logger.warning("sessions due not read", metadata: ["plexus.error": "\(error)"]) }
            return nil
        }
    }

    func timeUntilNextDue() async -> Duration {
        guard let next = try? await store.nextDue() else { return .seconds(1) }
        let micros = next.microseconds - environment.clock().microseconds
        return micros <= 0 ? .zero : min(.microseconds(micros), Self.idleWait)
    }

    /// Claims the delivery of a pending session for `deliveryLease`: stored, so neither the next
    /// turn nor a restart starts a second delivery of the same round while one runs. Returns the
    /// lease's end, which identifies this claim.
    func lease(_ id: String, now: Timestamp) async -> Timestamp? {
        try? await locked { () async throws(PlexusError) -> Timestamp? in
            let current = try await self.session(id)
            guard current.status == .pending, (current.nextDeliveryAt ?? current.updatedAt) <= now else { return nil }
            let lease = now.adding(microseconds: Self.deliveryLease)
            let leased = SessionMachine.lease(current, until: lease)
            try await self.io { try await self.store.save(leased, now: now) }
            self.startedDelivery(id)
            return lease
        }
    }

    /// One delivery attempt of a session's current round, and its outcome through the machine.
    func deliver(_ id: String, lease: Timestamp) async {
        defer {
            finishedDelivery(id)
            wakeup.signal()
        }
        guard let session = try? await self.session(id), session.status == .pending else { return }
        let outcome: ChannelDeliveryOutcome
        if let channel = session.channelID == ChannelRecord.inbox.id ? ChannelRecord.inbox : environment.channel(session.channelID) {
            outcome = await environment.sender.deliver(prompt(for: session), over: channel)
        } else {
            // Perhaps configured later (configuration spreads over the mesh): worth retrying.
            outcome = .transient("channel \(session.channelID) is not configured")
        }
        let event: SessionEvent
        switch outcome {
        case .delivered:
            event = .delivered
        case .transient(let reason):
            let now = environment.clock()
            let retryAt = withRandom { rng in
                environment.retry.nextAttempt(afterFailedAttempts: session.deliveryAttempts + 1, createdAt: session.updatedAt, now: now, using: &rng)
            }
            event = .deliveryFailed(reason: reason, retryAt: retryAt)
        case .permanent(let reason):
            event = .deliveryFailed(reason: reason, retryAt: nil)
        }
        if case .delivered = outcome {} else {
            logger.info("session prompt not delivered", metadata: ["plexus.session": "\(id)", "plexus.channel": "\(session.channelID)", "plexus.outcome": "\(outcome)"])
        }
        // Only while this attempt's lease is the stored one: the round may have moved on (an
        // answer through the inbox), or a slow attempt outlived its lease and another took over.
        _ = try? await locked { () async throws(PlexusError) -> HumanSession in
            let current = try await self.session(id)
            guard current.round == session.round, current.nextDeliveryAt == lease else { return current }
            return try await self.apply(event, current: current)
        }
    }

    /// What the channel shows for the session's current round.
    public func prompt(for session: HumanSession) -> ChannelPrompt {
        let base = environment.baseURL()
        let token = token(for: session)
        let approvers = session.approvers.filter { name in
            !session.approvals.contains { $0.approver == name } && !session.declines.contains { $0.approver == name }
        }
        return ChannelPrompt(
            sessionID: session.id, subjectID: session.subjectID, message: session.messageData, template: try? session.template(),
            errors: session.errors, round: session.round,
            responseURL: "\(base)/webhook-response?token=\(token)",
            inboxURL: "\(base)/inbox/\(Self.pathEscaped(session.id))?token=\(token)",
            expiresAt: session.expiresAt, approvers: approvers)
    }

    /// Publishes the results of validated sessions not yet in the log, up to 256 in one append
    /// (the log's group commit), then marks them published in one store transaction. The message
    /// id was fixed when the session validated, so a result published before a crash and again
    /// after it is one message (the log drops the duplicate).
    func publishResults() async {
        guard !Task.isCancelled, let pending = try? await store.unpublished(), !pending.isEmpty else { return }
        let ready = pending.compactMap { session in resultEnvelope(session).map { (session, $0) } }
        let refusals: [String?]
        do {
            refusals = try await environment.publish(ready.map(\.1))
        } catch {
            if !Task.isCancelled {
                logger.warning("session results not published yet", metadata: ["plexus.count": "\(ready.count)", "plexus.error": "\(error)"])
            }
            return
        }
        var published: [String] = []
        for ((session, _), refusal) in zip(ready, refusals) {
            if let refusal {
                // Stays unpublished (and retried): the node's log says why.
                logger.error("session result refused by the log", metadata: ["plexus.session": "\(session.id)", "plexus.reason": "\(refusal)"])
            } else {
                published.append(session.id)
            }
        }
        _ = try? await locked { () async throws(PlexusError) -> Void in
            var transitions: [SessionTransition] = []
            for id in published {
                guard let current = try await self.io({ try await self.store.load(id) }) else { continue }
                let transition = self.withRandom { rng in SessionMachine.apply(.resultPublished, to: current, now: self.environment.clock(), rng: &rng) }
                if transition.changed { transitions.append(transition) }
            }
            let sessions = transitions.map(\.session)
            try await self.io { try await self.store.save(all: sessions, now: self.environment.clock()) }
            for transition in transitions { await self.carryOut(transition) }
        }
    }

    /// The original result message: topic `<subject>__human_intervention_results`, to the agent.
    func resultEnvelope(_ session: HumanSession) -> Envelope? {
        guard let id = session.resultMessageID, let topic = try? Topic(session.resultTopic) else { return nil }
        var data: JSONObject = [
            "event_type": "human_intervention_results", "sender_subject_id": "sessions_system",
            "event_payload": session.responseData ?? .object([:]), "session_id": .string(session.id),
        ]
        if !session.approvers.isEmpty {
            data["approved_by"] = .array(session.approvals.compactMap { $0.approver.map { .string($0) } })
            data["approvals"] = .array(session.approvals.map(\.json))
        }
        var draft = EnvelopeDraft(topic: topic)
        draft.messageID = id
        draft.sourceSubjectID = "sessions_system"
        draft.destinationSubjectIDs = [session.subjectID]
        draft.messageType = "human_intervention_results"
        draft.messageData = .object(data)
        if session.dslExecutionID != .null { draft.messageMetadata["dsl_execution_id"] = session.dslExecutionID }
        // Stamped with the validation time, not the publish time: a result published again after
        // a crash is byte for byte the first one.
        return withRandom { rng in draft.normalized(node: environment.node, now: session.updatedAt, rng: &rng) }
    }

    public static func pathEscaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? text
    }
}
