/// The human-in-the-loop session state machine: pure, the clock and the random source are inputs.
///
/// ```
/// pending ──delivered──▶ sent ──reply (valid)──▶ validated ──▶ result published
///    ▲                    │  └──reply (valid, quorum not reached)──▶ responded ──…──▶ validated
///    └──reply (invalid, re-prompts left)──┘
///  any open status ──reply (invalid, none left)──▶ failed     ──delivery gave up──▶ failed
///  any open status ──expire──▶ expired   ──reject──▶ rejected   ──decline──▶ declined
/// ```
/// Every open status checks the expiry first: an answer that arrives after the expiry date
/// expires the session and is refused, so an expiry is never turned into an answer by a late
/// reply, and a final status is never left again.
public enum SessionMachine {
    /// A new session from a checked draft: pending, with its first prompt to deliver.
    public static func create(_ draft: SessionDraft, id: String, now: Timestamp) -> SessionTransition {
        let session = draft.session(id: id, now: now)
        return SessionTransition(session: session, effects: [.notify("session.created"), .deliver], changed: true)
    }

    public static func apply(
        _ event: SessionEvent, to session: HumanSession, now: Timestamp, rng: inout some RandomNumberGenerator
    ) -> SessionTransition {
        var next = session
        switch event {
        case .resultPublished:
            guard session.status == .validated, !session.resultPublished else { return unchanged(session) }
            next.resultPublished = true
            return SessionTransition(session: next, changed: true)
        case .expire:
            guard !session.status.isFinal, let expiry = session.expiresAt, now >= expiry else { return unchanged(session) }
            return finish(&next, .expired, reason: "no answer before \(expiry.rfc3339)", now: now)
        case .delivered, .deliveryFailed:
            // A channel's outcome for a round that is over (answered, re-prompted, ended) is old news.
            guard session.status == .pending else { return unchanged(session) }
        case .reply, .decline, .reject:
            if session.status.isFinal {
                return unchanged(session, refusal: PlexusError(.conflict, "session \(session.id) is \(session.status.rawValue); it takes no more answers"))
            }
        }
        if let expiry = session.expiresAt, now >= expiry {
            var expired = finish(&next, .expired, reason: "no answer before \(expiry.rfc3339)", now: now)
            if case .delivered = event {} else if case .deliveryFailed = event {} else {
                expired.refusal = PlexusError(.conflict, "session \(session.id) expired at \(expiry.rfc3339); the answer was not taken")
            }
            return expired
        }
        switch event {
        case .delivered:
            next.status = .sent
            next.nextDeliveryAt = nil
            // A failed attempt's note is history once the prompt got through.
            next.reason = nil
            return changed(&next, now: now, effects: [.notify("session.sent")])
        case .deliveryFailed(let reason, let retryAt):
            next.deliveryAttempts += 1
            guard let retryAt else {
                return finish(&next, .failed, reason: "channel \(session.channelID) could not deliver the prompt: \(reason)", now: now)
            }
            // Not a status change: no version bump, nobody waiting needs to hear about it.
            next.nextDeliveryAt = retryAt
            next.reason = "delivery attempt \(next.deliveryAttempts) failed: \(reason)"
            return SessionTransition(session: next, changed: true)
        case .reply(let data, let approver):
            return reply(data, approver: approver, to: &next, now: now, rng: &rng)
        case .decline(let reason, let approver):
            return decline(reason: reason, approver: approver, to: &next, now: now)
        case .reject(let reason):
            return finish(&next, .rejected, reason: reason ?? "withdrawn by the agent", now: now)
        case .expire, .resultPublished:
            return unchanged(session)
        }
    }

    /// The node claims the delivery of a pending round until `until` (a lease, stored, so a
    /// restart or the next turn does not deliver the same round twice while one attempt runs).
    /// Schedule only: no version, no status.
    public static func lease(_ session: HumanSession, until: Timestamp) -> HumanSession {
        var leased = session
        if leased.status == .pending { leased.nextDeliveryAt = until }
        return leased
    }

    static func reply(
        _ data: JSONValue, approver: String?, to session: inout HumanSession, now: Timestamp, rng: inout some RandomNumberGenerator
    ) -> SessionTransition {
        if let refusal = checkApprover(approver, session) { return unchanged(session, refusal: refusal) }
        let violations: [MessageTemplateViolation]
        do {
            if let template = try session.template() {
                violations = template.validate(data)
            } else if case .object = data {
                violations = []
            } else {
                violations = [MessageTemplateViolation(pointer: "", rule: "type", message: "response_data must be a JSON object", schemaPointer: "")]
            }
        } catch {
            return unchanged(session, refusal: error)
        }
        guard violations.isEmpty else {
            session.errors = violations
            let summary = violations.prefix(3).map(\.description).joined(separator: "; ")
            if session.round <= session.maxReprompts {
                session.round += 1
                session.status = .pending
                session.deliveryAttempts = 0
                session.nextDeliveryAt = nil
                session.reason = nil
                var transition = changed(&session, now: now, effects: [.notify("session.reprompted"), .deliver])
                transition.refusal = PlexusError(.invalidData, "the reply breaks the template (\(summary)); the person is asked again (round \(session.round))")
                return transition
            }
            var transition = finish(&session, .failed, reason: "the reply broke the template after \(session.maxReprompts) re-prompts", now: now)
            transition.refusal = PlexusError(.invalidData, "the reply breaks the template (\(summary)); no re-prompts are left, the session failed")
            return transition
        }
        session.errors = []
        session.approvals.append(SessionApproval(approver: approver, responseData: data, at: now))
        guard session.approvals.count >= session.quorum else {
            session.status = .responded
            return changed(&session, now: now, effects: [.notify("session.responded")])
        }
        session.responseData = data
        session.resultMessageID = MessageID.v7(now: now, rng: &rng)
        var transition = finish(&session, .validated, reason: nil, now: now)
        transition.effects.append(.publishResult)
        return transition
    }

    static func decline(reason: String?, approver: String?, to session: inout HumanSession, now: Timestamp) -> SessionTransition {
        if let refusal = checkApprover(approver, session) { return unchanged(session, refusal: refusal) }
        session.declines.append(SessionApproval(approver: approver, responseData: reason.map { .string($0) } ?? .null, at: now))
        // k of n: declined once the approvers who have not declined can no longer make up k.
        let stillPossible = session.approvers.isEmpty ? 0 : session.approvers.count - session.declines.count
        guard stillPossible < session.quorum else {
            return changed(&session, now: now, effects: [.notify("session.declined_by")])
        }
        let who = approver.map { " by \($0)" } ?? ""
        return finish(&session, .declined, reason: "declined\(who)" + (reason.map { ": \($0)" } ?? ""), now: now)
    }

    /// In a quorum session only a named approver answers, once (an answer or a decline).
    static func checkApprover(_ approver: String?, _ session: HumanSession) -> PlexusError? {
        guard !session.approvers.isEmpty else { return nil }
        guard let approver, session.approvers.contains(approver) else {
            return PlexusError(.forbidden, "session \(session.id) takes answers only from its approvers (\(session.approvers.joined(separator: ", ")))",
                               pointer: "/approver")
        }
        if session.approvals.contains(where: { $0.approver == approver }) || session.declines.contains(where: { $0.approver == approver }) {
            return PlexusError(.conflict, "\(approver) already answered session \(session.id)", pointer: "/approver")
        }
        return nil
    }

    static func finish(_ session: inout HumanSession, _ status: SessionStatus, reason: String?, now: Timestamp) -> SessionTransition {
        session.status = status
        session.reason = reason
        session.nextDeliveryAt = nil
        return changed(&session, now: now, effects: [.notify("session.\(status.rawValue)")])
    }

    static func changed(_ session: inout HumanSession, now: Timestamp, effects: [SessionEffect]) -> SessionTransition {
        session.version += 1
        session.updatedAt = max(now, session.updatedAt)
        return SessionTransition(session: session, effects: effects, changed: true)
    }

    static func unchanged(_ session: HumanSession, refusal: PlexusError? = nil) -> SessionTransition {
        SessionTransition(session: session, refusal: refusal, changed: false)
    }
}
