import Testing

@testable import PlexusCore

/// Every transition of the session state machine, driven with a fixed clock and a seeded random
/// source: no node, no store, no channel.
@Suite struct SessionMachineTests {
    static let t0 = Timestamp(seconds: 1_764_000_000)
    static let amountTemplate: JSONValue = [
        "type": "object", "required": ["amount"], "properties": ["amount": ["type": "integer", "minimum": 1]],
    ]

    /// A session as `POST /v1/sessions` would create it from `extra` fields on top of a minimal body.
    func created(_ extra: JSONObject = [:], now: Timestamp = t0) throws -> SessionTransition {
        var body: JSONObject = ["subject_id": "agent-1", "message_data": ["message": "Approve the refund?"]]
        for (key, value) in extra { body[key] = value }
        let draft = try SessionDraft(.object(body), now: now)
        return SessionMachine.create(draft, id: "s-1", now: now)
    }

    func makePending(_ extra: JSONObject = [:]) throws -> HumanSession {
        try created(extra).session
    }

    func apply(_ event: SessionEvent, _ session: HumanSession, at seconds: Double = 10, seed: UInt64 = 7) -> SessionTransition {
        var rng = SplitMix64(seed: seed)
        return SessionMachine.apply(event, to: session, now: Self.t0.adding(microseconds: Int64(seconds * 1_000_000)), rng: &rng)
    }

    /// A session whose prompt the channel accepted.
    func makeSent(_ extra: JSONObject = [:]) throws -> HumanSession {
        let session = apply(.delivered, try makePending(extra), at: 1).session
        #expect(session.status == .sent)
        return session
    }

    // MARK: create and delivery

    @Test func createIsPendingWithItsFirstPromptToDeliver() throws {
        let transition = try created()
        #expect(transition.changed)
        #expect(transition.refusal == nil)
        #expect(transition.effects == [.notify("session.created"), .deliver])
        let session = transition.session
        #expect(session.status == .pending)
        #expect(session.id == "s-1" && session.subjectID == "agent-1" && session.channelID == "inbox")
        #expect(session.version == 1 && session.round == 1 && session.maxReprompts == 2)
        #expect(session.createdAt == Self.t0 && session.updatedAt == Self.t0)
        #expect(session.responseData == nil && session.resultMessageID == nil && !session.resultPublished)
        #expect(session.resultTopic == "agent-1__human_intervention_results")
        // Pending and never tried: due now.
        #expect(session.nextDue == Self.t0)
    }

    @Test func deliveredMakesItSent() throws {
        let pending = try makePending()
        let transition = apply(.delivered, pending, at: 2)
        #expect(transition.changed && transition.refusal == nil)
        #expect(transition.effects == [.notify("session.sent")])
        #expect(transition.session.status == .sent)
        #expect(transition.session.version == pending.version + 1)
        #expect(transition.session.updatedAt == Self.t0.adding(microseconds: 2_000_000))
        // Sent without expiry: nothing is due.
        #expect(transition.session.nextDue == nil)
    }

    @Test func aDeliveryFailureWithARetryTimeKeepsItPending() throws {
        let pending = try makePending()
        let retryAt = Self.t0.adding(microseconds: 30_000_000)
        let transition = apply(.deliveryFailed(reason: "503 from the webhook", retryAt: retryAt), pending, at: 1)
        #expect(transition.changed && transition.refusal == nil && transition.effects.isEmpty)
        let session = transition.session
        #expect(session.status == .pending)
        #expect(session.nextDeliveryAt == retryAt)
        #expect(session.deliveryAttempts == 1)
        #expect(session.reason?.contains("503 from the webhook") == true)
        // Not a status change: no version bump.
        #expect(session.version == pending.version)
        #expect(session.nextDue == retryAt)
        #expect(session.json["next_delivery_at"] == .string(retryAt.rfc3339))

        let again = apply(.deliveryFailed(reason: "timeout", retryAt: retryAt.adding(microseconds: 60_000_000)), session, at: 31)
        #expect(again.session.deliveryAttempts == 2 && again.session.status == .pending)
        // The retry finally goes through.
        let delivered = apply(.delivered, again.session, at: 95)
        #expect(delivered.session.status == .sent && delivered.session.nextDeliveryAt == nil)
    }

    @Test func aDeliveryFailureWithoutRetryFailsTheSession() throws {
        let pending = try makePending()
        let transition = apply(.deliveryFailed(reason: "channel deleted", retryAt: nil), pending)
        #expect(transition.changed && transition.refusal == nil)
        #expect(transition.effects == [.notify("session.failed")])
        #expect(transition.session.status == .failed)
        #expect(transition.session.reason?.contains("channel deleted") == true)
        #expect(transition.session.version == pending.version + 1)
        #expect(transition.session.nextDue == nil)
    }

    @Test(arguments: [SessionEvent.delivered, .deliveryFailed(reason: "late", retryAt: nil),
                      .deliveryFailed(reason: "late", retryAt: Timestamp(seconds: 1_764_000_100))])
    func aChannelOutcomeForANonPendingSessionIsIgnored(_ event: SessionEvent) throws {
        let sent = try makeSent()
        let onSent = apply(event, sent)
        #expect(!onSent.changed && onSent.session == sent && onSent.effects.isEmpty && onSent.refusal == nil)

        var quorum = try makeSent(["approvers": ["alice", "bob"], "quorum": 2])
        quorum = apply(.reply(["ok": true], approver: "alice"), quorum).session
        #expect(quorum.status == .responded)
        let onResponded = apply(event, quorum)
        #expect(!onResponded.changed && onResponded.session == quorum)

        let validated = apply(.reply(["ok": true], approver: nil), try makeSent()).session
        let onFinal = apply(event, validated)
        #expect(!onFinal.changed && onFinal.session == validated && onFinal.refusal == nil)
    }

    // MARK: replies

    @Test func aValidReplyValidatesAndPublishes() throws {
        let sent = try makeSent(["message_data_template": Self.amountTemplate])
        let transition = apply(.reply(["amount": 5], approver: "carol"), sent, at: 20)
        #expect(transition.changed && transition.refusal == nil)
        #expect(transition.effects == [.notify("session.validated"), .publishResult])
        let session = transition.session
        #expect(session.status == .validated)
        #expect(session.responseData == ["amount": 5])
        #expect(session.resultMessageID != nil)
        #expect(session.errors.isEmpty && session.reason == nil)
        #expect(session.approvals == [SessionApproval(approver: "carol", responseData: ["amount": 5], at: Self.t0.adding(microseconds: 20_000_000))])
        #expect(session.version == sent.version + 1)
        #expect(session.json["result_message_uuid"] == .string(session.resultMessageID!.description))
        #expect(session.nextDue == nil)
    }

    @Test func aReplyBeforeDeliveryIsConfirmedStillCounts() throws {
        // The inbox can be answered before the channel's outcome comes back.
        let transition = apply(.reply(["ok": true], approver: nil), try makePending())
        #expect(transition.session.status == .validated)
        let late = apply(.delivered, transition.session)
        #expect(!late.changed && late.session.status == .validated)
    }

    @Test func withoutATemplateAnyObjectIsValidButNotAScalar() throws {
        let sent = try makeSent()
        #expect(apply(.reply(["anything": [1, 2]], approver: nil), sent).session.status == .validated)
        let scalar = apply(.reply("yes", approver: nil), sent)
        #expect(scalar.refusal?.code == .invalidData)
        #expect(scalar.session.status == .pending && scalar.session.round == 2)
        #expect(scalar.session.errors.map(\.rule) == ["type"])
    }

    @Test func anInvalidReplyRepromptsThenFailsAfterMaxReprompts() throws {
        var session = try makeSent(["message_data_template": Self.amountTemplate, "max_reprompts": 2])
        // Two re-prompts: rounds 2 and 3.
        for round in 2...3 {
            let before = session
            let transition = apply(.reply(["amount": 0], approver: nil), before, at: Double(round * 10))
            #expect(transition.changed)
            #expect(transition.refusal?.code == .invalidData)
            #expect(transition.refusal?.message.contains("round \(round)") == true)
            #expect(transition.effects == [.notify("session.reprompted"), .deliver])
            session = transition.session
            #expect(session.status == .pending)
            #expect(session.round == round)
            #expect(session.version == before.version + 1)
            #expect(session.errors.map(\.pointer) == ["/amount"])
            #expect(session.errors.map(\.rule) == ["minimum"])
            #expect(session.responseData == nil && session.approvals.isEmpty)
            #expect(session.deliveryAttempts == 0 && session.nextDeliveryAt == nil)
            session = apply(.delivered, session, at: Double(round * 10 + 1)).session
            #expect(session.status == .sent)
        }
        // No re-prompts left: the third invalid reply fails the session, naming the fields.
        let last = apply(.reply(["other": 1], approver: nil), session, at: 50)
        #expect(last.refusal?.code == .invalidData)
        #expect(last.effects == [.notify("session.failed")])
        #expect(!last.effects.contains(.deliver) && !last.effects.contains(.publishResult))
        #expect(last.session.status == .failed)
        #expect(last.session.round == 3)
        #expect(last.session.errors.map(\.pointer) == [""])
        #expect(last.session.errors.map(\.rule) == ["required"])
        #expect(last.session.reason?.contains("2 re-prompts") == true)
        #expect(last.session.responseData == nil && last.session.resultMessageID == nil)
        let json = last.session.json
        #expect(json["errors"]?.arrayValue?.first?["rule"] == "required")
    }

    @Test func aValidReplyAfterARepromptClearsTheErrors() throws {
        let sent = try makeSent(["message_data_template": Self.amountTemplate])
        let reprompted = apply(.reply(["amount": "five"], approver: nil), sent).session
        #expect(reprompted.errors.map(\.pointer) == ["/amount"])
        let validated = apply(.reply(["amount": 5], approver: nil), reprompted).session
        #expect(validated.status == .validated && validated.errors.isEmpty && validated.round == 2)
    }

    @Test func zeroRepromptsFailsOnTheFirstInvalidReply() throws {
        let sent = try makeSent(["message_data_template": Self.amountTemplate, "max_reprompts": 0])
        let transition = apply(.reply([:], approver: nil), sent)
        #expect(transition.session.status == .failed && transition.session.round == 1)
        #expect(transition.refusal?.code == .invalidData)
        #expect(transition.session.errors.map(\.pointer) == [""])
    }

    @Test func originalTemplatesValidateRepliesPerField() throws {
        let template: JSONValue = ["policy_input_schema": ["approved": ["type": "boolean"]]]
        let sent = try makeSent(["message_data_template": template])
        let bad = apply(.reply(["approved": "yes"], approver: nil), sent)
        #expect(bad.refusal?.code == .invalidData)
        #expect(bad.session.errors.map(\.pointer) == ["/approved"])
        let good = apply(.reply(["approved": true], approver: nil), bad.session)
        #expect(good.session.status == .validated)
    }

    // MARK: expiry

    @Test(arguments: [100.0, 150.0])
    func aReplyAtOrAfterExpiryExpiresAndIsRefused(_ at: Double) throws {
        let sent = try makeSent(["expires_in": 100])
        #expect(sent.nextDue == Self.t0.adding(microseconds: 100_000_000))
        let transition = apply(.reply(["ok": true], approver: nil), sent, at: at)
        #expect(transition.changed)
        #expect(transition.refusal?.code == .conflict)
        #expect(transition.session.status == .expired)
        #expect(transition.session.responseData == nil && transition.session.approvals.isEmpty)
        #expect(transition.session.resultMessageID == nil)
        #expect(!transition.effects.contains(.publishResult))
        #expect(transition.effects == [.notify("session.expired")])
        #expect(transition.session.version == sent.version + 1)
    }

    @Test func aReplyJustBeforeExpiryIsTaken() throws {
        let sent = try makeSent(["expires_in": 100])
        #expect(apply(.reply(["ok": true], approver: nil), sent, at: 99.999_999).session.status == .validated)
    }

    @Test(arguments: [SessionEvent.decline(reason: "no", approver: nil), .reject(reason: nil)])
    func otherAnswersAfterExpiryAlsoExpire(_ event: SessionEvent) throws {
        let transition = apply(event, try makeSent(["expires_in": 100]), at: 101)
        #expect(transition.session.status == .expired)
        #expect(transition.refusal?.code == .conflict)
    }

    @Test func aChannelOutcomeAfterExpiryExpiresWithoutRefusal() throws {
        let pending = try makePending(["expires_in": 100])
        let transition = apply(.delivered, pending, at: 100)
        #expect(transition.session.status == .expired)
        #expect(transition.refusal == nil)
    }

    @Test func expireBeforeTheExpiryDoesNothing() throws {
        let sent = try makeSent(["expires_in": 100])
        let early = apply(.expire, sent, at: 99)
        #expect(!early.changed && early.session == sent && early.effects.isEmpty && early.refusal == nil)
        // Nor does it for a session without expiry.
        let noExpiry = try makeSent()
        #expect(!apply(.expire, noExpiry, at: 1_000_000).changed)
    }

    @Test func expireAtTheExpiryExpires() throws {
        let sent = try makeSent(["expires_in": 100])
        let transition = apply(.expire, sent, at: 100)
        #expect(transition.changed && transition.refusal == nil)
        #expect(transition.effects == [.notify("session.expired")])
        #expect(transition.session.status == .expired)
        #expect(transition.session.version == sent.version + 1)
        #expect(transition.session.reason?.contains("no answer before") == true)
        #expect(transition.session.nextDue == nil)
        // A second timer is a no-op.
        #expect(!apply(.expire, transition.session, at: 200).changed)
    }

    @Test func anExpiryInThePastLeavesItDueAtOnce() throws {
        let pending = try makePending(["expiry_date": 1_000])
        #expect(pending.nextDue == Timestamp(seconds: 1_000))
        #expect(apply(.expire, pending, at: 0).session.status == .expired)
    }

    // MARK: reject and decline

    @Test func rejectEndsTheSession() throws {
        let sent = try makeSent()
        let transition = apply(.reject(reason: "not needed any more"), sent)
        #expect(transition.changed && transition.refusal == nil)
        #expect(transition.effects == [.notify("session.rejected")])
        #expect(transition.session.status == .rejected)
        #expect(transition.session.reason == "not needed any more")
        #expect(apply(.reject(reason: nil), sent).session.reason == "withdrawn by the agent")
    }

    @Test func declineEndsASingleAnswerSession() throws {
        let sent = try makeSent()
        let transition = apply(.decline(reason: "not my call", approver: "dave"), sent)
        #expect(transition.changed && transition.refusal == nil)
        #expect(transition.effects == [.notify("session.declined")])
        #expect(transition.session.status == .declined)
        #expect(transition.session.reason == "declined by dave: not my call")
        #expect(transition.session.declines.map(\.approver) == ["dave"])
        #expect(transition.session.declines.map(\.responseData) == ["not my call"])
        #expect(apply(.decline(reason: nil, approver: nil), sent).session.reason == "declined")
    }

    @Test(arguments: [
        SessionEvent.delivered, .deliveryFailed(reason: "x", retryAt: nil), .reply(["ok": true], approver: nil),
        .decline(reason: nil, approver: nil), .reject(reason: nil), .expire,
    ])
    func noEventChangesAFinalSession(_ event: SessionEvent) throws {
        let finals: [HumanSession] = [
            apply(.reply(["ok": true], approver: nil), try makeSent()).session,
            apply(.deliveryFailed(reason: "gone", retryAt: nil), try makePending()).session,
            apply(.expire, try makeSent(["expires_in": 5]), at: 6).session,
            apply(.reject(reason: nil), try makeSent()).session,
            apply(.decline(reason: nil, approver: nil), try makeSent()).session,
        ]
        #expect(finals.map(\.status) == [.validated, .failed, .expired, .rejected, .declined])
        for final in finals {
            // Long after any expiry: a final status is never left, not even for expired.
            let transition = apply(event, final, at: 10_000)
            #expect(!transition.changed, "\(event) on \(final.status)")
            #expect(transition.session == final, "\(event) on \(final.status)")
            #expect(transition.effects.isEmpty)
            switch event {
            case .reply, .decline, .reject:
                #expect(transition.refusal?.code == .conflict, "\(event) on \(final.status)")
            default:
                #expect(transition.refusal == nil, "\(event) on \(final.status)")
            }
        }
    }

    @Test func resultPublishedIsRecordedOnceAndOnlyWhenValidated() throws {
        let validated = apply(.reply(["ok": true], approver: nil), try makeSent()).session
        #expect(!validated.resultPublished)
        let published = apply(.resultPublished, validated)
        #expect(published.changed && published.effects.isEmpty && published.refusal == nil)
        #expect(published.session.resultPublished)
        #expect(published.session.status == .validated)
        #expect(published.session.json["result_published"] == true)
        #expect(!apply(.resultPublished, published.session).changed)
        // Nothing to publish for an open or otherwise ended session.
        let sent = try makeSent()
        #expect(!apply(.resultPublished, sent).changed)
        #expect(!apply(.resultPublished, apply(.reject(reason: nil), sent).session).session.resultPublished)
    }

    // MARK: quorum

    func quorumSession() throws -> HumanSession {
        try makeSent(["approvers": ["alice", "bob", "carol"], "quorum": 2, "message_data_template": Self.amountTemplate])
    }

    @Test func twoOfThreeRespondsThenValidates() throws {
        let sent = try quorumSession()
        let first = apply(.reply(["amount": 3], approver: "alice"), sent, at: 10)
        #expect(first.changed && first.refusal == nil)
        #expect(first.effects == [.notify("session.responded")])
        #expect(first.session.status == .responded)
        #expect(first.session.responseData == nil && first.session.resultMessageID == nil)
        #expect(first.session.version == sent.version + 1)
        #expect(first.session.nextDue == nil)

        let second = apply(.reply(["amount": 4], approver: "carol"), first.session, at: 20)
        #expect(second.effects == [.notify("session.validated"), .publishResult])
        let session = second.session
        #expect(session.status == .validated)
        #expect(session.version == sent.version + 2)
        #expect(session.approvals.map(\.approver) == ["alice", "carol"])
        #expect(session.approvals.map(\.responseData) == [["amount": 3], ["amount": 4]])
        #expect(session.responseData == ["amount": 4])
        #expect(session.resultMessageID != nil)
        let approvals = session.json["approvals"]?.arrayValue ?? []
        #expect(approvals.map { $0["approver"] } == ["alice", "carol"])
        #expect(approvals.first?["at"] == .string(Self.t0.adding(microseconds: 10_000_000).rfc3339))
    }

    @Test func onlyNamedApproversAnswer() throws {
        let sent = try quorumSession()
        for approver in ["mallory", nil] as [String?] {
            let reply = apply(.reply(["amount": 3], approver: approver), sent)
            #expect(reply.refusal?.code == .forbidden)
            #expect(reply.refusal?.pointer == "/approver")
            #expect(!reply.changed && reply.session == sent)
            let decline = apply(.decline(reason: nil, approver: approver), sent)
            #expect(decline.refusal?.code == .forbidden && !decline.changed)
        }
    }

    @Test func anApproverAnswersOnce() throws {
        let responded = apply(.reply(["amount": 3], approver: "alice"), try quorumSession()).session
        let twice = apply(.reply(["amount": 3], approver: "alice"), responded)
        #expect(twice.refusal?.code == .conflict)
        #expect(!twice.changed && twice.session == responded)
        // Nor can an approver who answered decline afterwards.
        let declineAfter = apply(.decline(reason: nil, approver: "alice"), responded)
        #expect(declineAfter.refusal?.code == .conflict && !declineAfter.changed)
        // Nor answer after declining.
        let declined = apply(.decline(reason: nil, approver: "bob"), responded).session
        let replyAfter = apply(.reply(["amount": 3], approver: "bob"), declined)
        #expect(replyAfter.refusal?.code == .conflict && !replyAfter.changed)
    }

    @Test func aDeclineThatLeavesTheQuorumPossibleKeepsItOpen() throws {
        let sent = try quorumSession()
        let transition = apply(.decline(reason: "busy", approver: "bob"), sent)
        #expect(transition.changed && transition.refusal == nil)
        #expect(transition.effects == [.notify("session.declined_by")])
        #expect(transition.session.status == .sent)
        #expect(transition.session.declines.map(\.approver) == ["bob"])
        // alice and carol can still make two.
        let a = apply(.reply(["amount": 1], approver: "alice"), transition.session).session
        let c = apply(.reply(["amount": 2], approver: "carol"), a).session
        #expect(c.status == .validated)
    }

    @Test func declinesThatMakeTheQuorumImpossibleDecline() throws {
        let first = apply(.decline(reason: nil, approver: "bob"), try quorumSession()).session
        let second = apply(.decline(reason: "no budget", approver: "carol"), first)
        #expect(second.session.status == .declined)
        #expect(second.effects == [.notify("session.declined")])
        #expect(second.session.reason == "declined by carol: no budget")
        #expect(second.session.declines.map(\.approver) == ["bob", "carol"])

        // An approval already in does not save it when the rest decline: alice alone is not two.
        let approved = apply(.reply(["amount": 1], approver: "alice"), try quorumSession()).session
        let one = apply(.decline(reason: nil, approver: "bob"), approved).session
        #expect(one.status == .responded)
        let two = apply(.decline(reason: nil, approver: "carol"), one).session
        #expect(two.status == .declined)
        #expect(two.responseData == nil && two.resultMessageID == nil)
    }

    @Test func allOfThreeDeclinesOnTheFirstDecline() throws {
        let sent = try makeSent(["approvers": ["alice", "bob", "carol"], "quorum": 3])
        #expect(apply(.decline(reason: nil, approver: "alice"), sent).session.status == .declined)
    }

    @Test func anInvalidQuorumReplyRepromptsWithoutCountingTheApprover() throws {
        let responded = apply(.reply(["amount": 1], approver: "alice"), try quorumSession()).session
        let invalid = apply(.reply(["amount": -1], approver: "bob"), responded)
        #expect(invalid.refusal?.code == .invalidData)
        #expect(invalid.session.status == .pending && invalid.session.round == 2)
        #expect(invalid.session.approvals.map(\.approver) == ["alice"])
        // bob may answer again, validly this time.
        let validated = apply(.reply(["amount": 2], approver: "bob"), invalid.session)
        #expect(validated.session.status == .validated)
    }

    // MARK: versions and determinism

    @Test func versionGoesUpByOneOnEveryStatusChange() throws {
        var session = try makePending(["message_data_template": Self.amountTemplate])
        var versions = [session.version]
        let events: [SessionEvent] = [.delivered, .reply(["amount": 0], approver: nil), .delivered, .reply(["amount": 9], approver: nil)]
        for (index, event) in events.enumerated() {
            session = apply(event, session, at: Double(index + 1)).session
            versions.append(session.version)
        }
        #expect(versions == [1, 2, 3, 4, 5])
        #expect(session.status == .validated)
        #expect(session.updatedAt == Self.t0.adding(microseconds: 4_000_000))
    }

    @Test func updatedAtNeverGoesBackwards() throws {
        let sent = apply(.delivered, try makePending(), at: 100).session
        let validated = apply(.reply(["ok": true], approver: nil), sent, at: 50).session
        #expect(validated.updatedAt == Self.t0.adding(microseconds: 100_000_000))
    }

    @Test func theSameSeedGivesTheSameResultMessageID() throws {
        let sent = try makeSent()
        let a = apply(.reply(["ok": true], approver: nil), sent, seed: 42).session
        let b = apply(.reply(["ok": true], approver: nil), sent, seed: 42).session
        let c = apply(.reply(["ok": true], approver: nil), sent, seed: 43).session
        #expect(a.resultMessageID != nil)
        #expect(a.resultMessageID == b.resultMessageID)
        #expect(a == b)
        #expect(a.resultMessageID != c.resultMessageID)
        // A UUIDv7 stamped with the time of the validation.
        #expect(a.resultMessageID?.description.dropFirst(14).first == "7")
        var rng = SplitMix64(seed: 42)
        #expect(a.resultMessageID == MessageID.v7(now: Self.t0.adding(microseconds: 10_000_000), rng: &rng))
    }
}
