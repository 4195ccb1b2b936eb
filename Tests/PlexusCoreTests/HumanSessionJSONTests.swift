import Testing

@testable import PlexusCore

/// The session document is the stored state: whatever the machine produced must come back equal
/// from its JSON, as an object and through text.
@Suite struct HumanSessionJSONTests {
    static let t0 = Timestamp(seconds: 1_764_000_000)

    func roundTrips(_ session: HumanSession, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let json = session.json
        #expect(try HumanSession(json: json) == session, sourceLocation: sourceLocation)
        // And through the bytes the store writes.
        let text = json.jsonString
        #expect(try HumanSession(json: JSONParser.parse(text)) == session, sourceLocation: sourceLocation)
    }

    func apply(_ event: SessionEvent, _ session: HumanSession, at seconds: Int64) -> HumanSession {
        var rng = SplitMix64(seed: 1)
        return SessionMachine.apply(event, to: session, now: Self.t0.adding(microseconds: seconds * 1_000_000), rng: &rng).session
    }

    func created(_ body: JSONValue) throws -> HumanSession {
        SessionMachine.create(try SessionDraft(body, now: Self.t0), id: "s-1", now: Self.t0).session
    }

    @Test func aNewSessionRoundTrips() throws {
        try roundTrips(try created(["subject_id": "agent-1", "message_data": ["message": "Go?"]]))
    }

    @Test func aFullSessionRoundTrips() throws {
        let template: JSONValue = ["type": "object", "required": ["amount"], "properties": ["amount": ["type": "integer", "minimum": 1]]]
        var session = try created([
            "subject_id": "agent-1", "message_data": ["message": "How much?", "context": [1, 2.5, nil, true]],
            "message_data_template": template, "reception_channel_id": "slack-ops", "expires_in": 3600.123456,
            "max_reprompts": 3, "approvers": ["alice", "bob", "carol"], "quorum": 2, "dsl_execution_id": ["run": 7],
            "callback_url": "https://agent.example/cb", "labels": ["x": ["y": nil]],
        ])
        #expect(session.expiresAt?.microseconds.isMultiple(of: 1_000_000) == false)
        session = apply(.deliveryFailed(reason: "503", retryAt: Self.t0.adding(microseconds: 5_123_456)), session, at: 1)
        try roundTrips(session)
        session = apply(.delivered, session, at: 6)
        session = apply(.reply(["amount": 0], approver: "alice"), session, at: 7)
        #expect(session.errors.count == 1 && session.round == 2)
        try roundTrips(session)
        session = apply(.reply(["amount": 2], approver: "alice"), session, at: 8)
        session = apply(.decline(reason: "busy", approver: "bob"), session, at: 9)
        #expect(session.status == .responded && session.approvals.count == 1 && session.declines.count == 1)
        try roundTrips(session)
        session = apply(.reply(["amount": 3], approver: "carol"), session, at: 10)
        #expect(session.status == .validated && session.resultMessageID != nil)
        try roundTrips(session)
        session = apply(.resultPublished, session, at: 11)
        #expect(session.resultPublished)
        try roundTrips(session)
    }

    @Test func theDocumentHasTheOriginalFields() throws {
        var session = try created([
            "session_id": "s-1", "subject_id": "agent-1", "message_data": ["message": "Go?"], "expiry_date": 1_764_520_000,
            "note": "kept",
        ])
        session = apply(.reply(["ok": true], approver: nil), session, at: 5)
        let json = session.json
        #expect(json["session_id"] == "s-1")
        #expect(json["subject_id"] == "agent-1")
        #expect(json["message_data"] == ["message": "Go?"])
        #expect(json["message_data_template"] == .null)
        #expect(json["reception_channel_id"] == "inbox")
        // Whole seconds stay an integer, as the original stored them.
        #expect(json["expiry_date"] == 1_764_520_000)
        #expect(json["status"] == "validated")
        #expect(json["dsl_execution_id"] == .null)
        #expect(json["version"] == 2)
        #expect(json["created_at"] == .string(Self.t0.rfc3339))
        #expect(json["updated_at"] == .string(Self.t0.adding(microseconds: 5_000_000).rfc3339))
        #expect(json["round"] == 1 && json["max_reprompts"] == 2)
        #expect(json["errors"] == [])
        #expect(json["response_data"] == ["ok": true])
        #expect(json["approvers"] == [] && json["quorum"] == 1)
        #expect(json["approvals"] == [["approver": nil, "response_data": ["ok": true], "at": .string(Self.t0.adding(microseconds: 5_000_000).rfc3339)]])
        #expect(json["reason"] == .null)
        #expect(json["result_message_uuid"]?.stringValue.flatMap { MessageID(string: $0) } == session.resultMessageID)
        #expect(json["note"] == "kept")
        // The known fields come first, extras after.
        #expect(json.objectValue?.keys.first == "session_id")
        #expect(json.objectValue?.keys.last == "note")
    }

    @Test func aStoredSessionStillMatchesItsCreateBody() throws {
        // An idempotent re-POST after a restart compares the body with the session read back.
        let body: JSONValue = ["session_id": "s-1", "subject_id": "agent-1", "message_data": ["message": "Go?"]]
        let stored = try HumanSession(json: JSONParser.parse(try created(body).json.jsonString))
        #expect(stored.templateSource == nil && stored.responseData == nil)
        #expect(try SessionDraft(body, now: Self.t0).matches(stored))
    }

    @Test func errorsRoundTripWithTheirPointers() throws {
        var session = try created(["subject_id": "a", "message_data": [:]])
        session.errors = [
            MessageTemplateViolation(pointer: "/amount", rule: "minimum", message: "0 is less than minimum 1", schemaPointer: "/properties/amount/minimum"),
            MessageTemplateViolation(pointer: "", rule: "required", message: "note is missing", schemaPointer: "/required"),
        ]
        #expect(session.json["errors"]?.arrayValue?.first == [
            "pointer": "/amount", "rule": "minimum", "message": "0 is less than minimum 1", "schema_pointer": "/properties/amount/minimum",
        ])
        try roundTrips(session)
    }

    @Test func extraFieldsNeverOverrideKnownOnes() throws {
        var session = try created(["subject_id": "a", "message_data": [:]])
        session.extra = ["status": "validated", "custom": 1]
        #expect(session.json["status"] == "pending")
        #expect(session.json["custom"] == 1)
        #expect(try HumanSession(json: session.json).extra == ["custom": 1])
    }

    @Test func brokenDocumentsAreRefused() throws {
        let good = try created(["subject_id": "a", "message_data": [:]]).json
        #expect(throws: PlexusError.self) { try HumanSession(json: "not an object") }
        for key in ["session_id", "subject_id", "reception_channel_id", "status", "created_at", "updated_at"] {
            guard case .object(var object) = good else { return }
            object[key] = nil
            #expect(throws: PlexusError.self, "\(key)") { try HumanSession(json: .object(object)) }
        }
        guard case .object(var object) = good else { return }
        object["status"] = "thinking"
        #expect(throws: PlexusError.self) { try HumanSession(json: .object(object)) }
        object["status"] = "sent"
        object["approvals"] = [["approver": "alice", "response_data": [:]]]
        #expect(throws: PlexusError.self) { try HumanSession(json: .object(object)) }
    }
}
