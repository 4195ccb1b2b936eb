import Testing

@testable import PlexusCore

/// Create bodies: what is required, what is refused, and that every refusal names its field.
@Suite struct SessionDraftTests {
    static let now = Timestamp(seconds: 1_764_000_000)
    static let minimal: JSONObject = ["subject_id": "agent-1", "message_data": ["message": "Ship it?"]]

    func draft(_ changes: JSONObject = [:], removing: [String] = [], defaultReprompts: Int = 2) throws(PlexusError) -> SessionDraft {
        var body = Self.minimal
        for key in removing { body[key] = nil }
        for (key, value) in changes { body[key] = value }
        return try SessionDraft(.object(body), now: Self.now, defaultReprompts: defaultReprompts)
    }

    /// The error `changes` are refused with.
    func refusal(_ changes: JSONObject = [:], removing: [String] = []) -> PlexusError? {
        do {
            _ = try draft(changes, removing: removing)
            return nil
        } catch {
            return error
        }
    }

    @Test func aMinimalBodyTakesTheDefaults() throws {
        let draft = try draft()
        #expect(draft.sessionID == nil)
        #expect(draft.subjectID == "agent-1")
        #expect(draft.messageData == ["message": "Ship it?"])
        #expect(draft.templateSource == nil)
        #expect(draft.channelID == "inbox")
        #expect(draft.expiresAt == nil)
        #expect(draft.maxReprompts == 2)
        #expect(draft.approvers.isEmpty && draft.quorum == 1)
        #expect(draft.dslExecutionID == .null)
        #expect(draft.extra.isEmpty)
        #expect(try self.draft(defaultReprompts: 5).maxReprompts == 5)
    }

    @Test func everyFieldIsRead() throws {
        let template: JSONValue = ["type": "object", "required": ["ok"]]
        let draft = try draft([
            "session_id": "s-42", "message_data_template": template, "reception_channel_id": "ops-slack", "expiry_date": 1_764_003_600,
            "max_reprompts": 4, "approvers": ["alice", "bob"], "quorum": 2, "dsl_execution_id": "run-9",
        ])
        #expect(draft.sessionID == "s-42")
        #expect(draft.templateSource == template)
        #expect(draft.channelID == "ops-slack")
        #expect(draft.expiresAt == Timestamp(seconds: 1_764_003_600))
        #expect(draft.maxReprompts == 4)
        #expect(draft.approvers == ["alice", "bob"] && draft.quorum == 2)
        #expect(draft.dslExecutionID == "run-9")
        let session = draft.session(id: "s-42", now: Self.now)
        #expect(session.status == .pending && session.templateSource == template && session.quorum == 2)
        #expect(draft.matches(session))
    }

    @Test func nullsMeanAbsent() throws {
        let draft = try draft(["session_id": nil, "message_data_template": nil, "reception_channel_id": nil, "expiry_date": nil,
                               "expires_in": nil, "max_reprompts": nil, "approvers": nil, "quorum": nil])
        #expect(draft.sessionID == nil && draft.templateSource == nil && draft.channelID == "inbox" && draft.expiresAt == nil)
        #expect(draft.maxReprompts == 2 && draft.approvers.isEmpty && draft.quorum == 1)
    }

    @Test func aNullExpiryNextToTheOtherOneIsNotBoth() throws {
        #expect(try draft(["expiry_date": nil]).expiresAt == nil)
        #expect(try draft(["expires_in": nil]).expiresAt == nil)
        #expect(try draft(["expiry_date": nil, "expires_in": 60]).expiresAt == Self.now.adding(microseconds: 60_000_000))
        #expect(try draft(["expiry_date": 1_764_003_600, "expires_in": nil]).expiresAt == Timestamp(seconds: 1_764_003_600))
    }

    @Test func theBodyMustBeAnObject() {
        #expect(throws: PlexusError.self) { try SessionDraft(["subject_id", "agent-1"], now: Self.now) }
        #expect(throws: PlexusError.self) { try SessionDraft(nil, now: Self.now) }
    }

    @Test func subjectAndMessageDataAreRequired() {
        #expect(refusal(removing: ["subject_id"])?.pointer == "/subject_id")
        #expect(refusal(removing: ["message_data"])?.pointer == "/message_data")
        #expect(refusal(["message_data": "just text"])?.pointer == "/message_data")
        #expect(refusal(["message_data": nil])?.pointer == "/message_data")
        #expect(refusal(removing: ["subject_id"])?.code == .invalidField)
    }

    @Test(arguments: [
        ("subject_id", JSONValue.integer(5)), ("subject_id", ""), ("subject_id", "has space"), ("subject_id", "a/b"),
        ("subject_id", "a?b"), ("subject_id", "a#b"), ("subject_id", .string(String(repeating: "x", count: 257))),
        ("session_id", "s 1"), ("session_id", 42), ("reception_channel_id", "x/y"), ("reception_channel_id", false),
    ])
    func idsMustBePathSafe(_ field: String, _ value: JSONValue) {
        let error = refusal([field: value])
        #expect(error?.code == .invalidField)
        #expect(error?.pointer == "/\(field)")
    }

    @Test func aSubjectMustMakeAResultTopic() {
        // 256 characters fit an id but not the topic `<subject>__human_intervention_results`.
        let error = refusal(["subject_id": .string(String(repeating: "a", count: 256))])
        #expect(error?.pointer == "/subject_id")
        #expect(error?.message.contains("result topic") == true)
    }

    @Test func expiresInCountsFromNow() throws {
        #expect(try draft(["expires_in": 3600]).expiresAt == Self.now.adding(microseconds: 3_600_000_000))
        #expect(try draft(["expires_in": 1.5]).expiresAt == Self.now.adding(microseconds: 1_500_000))
    }

    @Test func expiryDateIsEpochSeconds() throws {
        #expect(try draft(["expiry_date": 1_764_003_600]).expiresAt == Timestamp(seconds: 1_764_003_600))
        #expect(try draft(["expiry_date": 1_764_003_600.25]).expiresAt == Timestamp(microseconds: 1_764_003_600_250_000))
        // A date in the past is allowed: the session is due to expire at once.
        #expect(try draft(["expiry_date": 1]).expiresAt == Timestamp(seconds: 1))
    }

    @Test func expiryDateAndExpiresInTogetherAreRefused() {
        let error = refusal(["expiry_date": 1_764_003_600, "expires_in": 60])
        #expect(error?.code == .invalidField)
        #expect(error?.pointer == "/expires_in")
        #expect(error?.message.contains("not both") == true)
    }

    @Test(arguments: [JSONValue.integer(0), -5, "tomorrow", 253_402_300_800, true])
    func badExpiryDatesAreRefused(_ value: JSONValue) {
        #expect(refusal(["expiry_date": value])?.pointer == "/expiry_date")
    }

    @Test(arguments: [JSONValue.integer(0), -1, "60", 316_224_001, [60]])
    func badExpiresInAreRefused(_ value: JSONValue) {
        #expect(refusal(["expires_in": value])?.pointer == "/expires_in")
    }

    @Test func maxRepromptsIsBounded() throws {
        #expect(try draft(["max_reprompts": 0]).maxReprompts == 0)
        #expect(try draft(["max_reprompts": 10]).maxReprompts == 10)
        for bad: JSONValue in [11, -1, 2.0, "2"] {
            #expect(refusal(["max_reprompts": bad])?.pointer == "/max_reprompts", "\(bad)")
        }
    }

    @Test func approversAreNamesWithoutRepeats() throws {
        #expect(refusal(["approvers": "alice"])?.pointer == "/approvers")
        #expect(refusal(["approvers": ["alice", 3]])?.pointer == "/approvers/1")
        #expect(refusal(["approvers": ["alice", "bad name"]])?.pointer == "/approvers/1")
        let twice = refusal(["approvers": ["alice", "bob", "alice"]])
        #expect(twice?.pointer == "/approvers/2")
        #expect(twice?.message.contains("twice") == true)
        let most = JSONValue.array((0..<32).map { .string("a\($0)") })
        #expect(try draft(["approvers": most]).approvers.count == 32)
        let tooMany = JSONValue.array((0..<33).map { .string("a\($0)") })
        #expect(refusal(["approvers": tooMany])?.pointer == "/approvers")
        #expect(try draft(["approvers": []]).approvers.isEmpty)
    }

    @Test func quorumIsFromOneToTheNumberOfApprovers() throws {
        #expect(try draft(["approvers": ["a", "b", "c"], "quorum": 3]).quorum == 3)
        #expect(try draft(["approvers": ["a", "b", "c"]]).quorum == 1)
        #expect(refusal(["approvers": ["a", "b", "c"], "quorum": 4])?.pointer == "/quorum")
        #expect(refusal(["approvers": ["a", "b", "c"], "quorum": 0])?.pointer == "/quorum")
        #expect(refusal(["approvers": ["a", "b"], "quorum": 1.5])?.pointer == "/quorum")
        // Without approvers anyone answers, once.
        #expect(try draft(["quorum": 1]).quorum == 1)
        #expect(refusal(["quorum": 2])?.pointer == "/quorum")
    }

    @Test(arguments: [
        ["type": "strng"] as JSONValue, ["minimum": "5"], ["properties": ["a": ["type": 5]]], "not a schema",
        ["policy_input_schema": ["f": ["type": "nope"]]],
    ])
    func templatesThatDoNotCompileAreRefused(_ template: JSONValue) {
        let error = refusal(["message_data_template": template])
        #expect(error?.code == .invalidField)
        #expect(error?.pointer == "/message_data_template")
        #expect(error?.message.hasPrefix("message_data_template: ") == true)
    }

    @Test func bothTemplateFormatsCompile() throws {
        #expect(try draft(["message_data_template": ["type": "object"]]).templateSource == ["type": "object"])
        let original: JSONValue = ["policy_input_schema": ["approved": ["type": "boolean"]]]
        #expect(try draft(["message_data_template": original]).templateSource == original)
        #expect(try draft(["message_data_template": true]).templateSource == true)
    }

    @Test func unknownFieldsAreKeptAndServedBack() throws {
        let draft = try draft(["callback_url": "https://agent.example/cb", "metadata": ["team": "billing"], "expires_in": 60])
        #expect(draft.extra == ["callback_url": "https://agent.example/cb", "metadata": ["team": "billing"]])
        let session = draft.session(id: "s-1", now: Self.now)
        #expect(session.extra == draft.extra)
        #expect(session.json["callback_url"] == "https://agent.example/cb")
        #expect(session.json["metadata"] == ["team": "billing"])
        // Fields the node manages are not taken from a create body.
        let managed = try self.draft(["status": "validated", "version": 99, "response_data": ["x": 1]])
        #expect(managed.extra.isEmpty)
        #expect(managed.session(id: "s-1", now: Self.now).status == .pending)
    }

    @Test func matchesTellsARetryFromADifferentRequest() throws {
        let session = try draft(["session_id": "s-1"]).session(id: "s-1", now: Self.now)
        #expect(try draft(["session_id": "s-1"]).matches(session))
        #expect(try !draft(["session_id": "s-1", "message_data": ["message": "Other?"]]).matches(session))
        #expect(try !draft(["session_id": "s-1", "reception_channel_id": "slack"]).matches(session))
        #expect(try !draft(["session_id": "s-1", "subject_id": "agent-2"]).matches(session))
        #expect(try !draft(["session_id": "s-1", "approvers": ["alice"]]).matches(session))
    }
}
