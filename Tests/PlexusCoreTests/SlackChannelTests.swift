import PlexusCore
import Testing

struct SlackSignatureTests {
    // Computed independently:
    // printf 'v0:1700000000:payload=%%7B%%22type%%22%%3A%%22block_actions%%22%%7D' | openssl dgst -sha256 -hmac 'test-signing-secret'
    static let secret = "test-signing-secret"
    static let timestamp: Int64 = 1_700_000_000
    static let body = Array("payload=%7B%22type%22%3A%22block_actions%22%7D".utf8)
    static let signature = "v0=8ff64a276b74f3bfc205d8b1fdf8b29d2be346bc136af509b33bab6d090ef061"
    static let now = Timestamp(microseconds: timestamp * 1_000_000)

    static func refusal(
        secret: String = secret, timestamp: String? = "1700000000", signature: String? = signature, body: [UInt8] = body,
        now: Timestamp = now
    ) -> SlackSignatureError.Code? {
        do {
            try SlackSignature.verify(secret: secret, timestampHeader: timestamp, signatureHeader: signature, body: body, now: now)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func signMatchesAnIndependentlyComputedVector() {
        #expect(SlackSignature.sign(secret: Self.secret, timestamp: Self.timestamp, body: Self.body) == Self.signature)
        // printf 'v0:1531420618:token=xyz&team_id=T1' | openssl dgst -sha256 -hmac '8f742231b10e8888abcd99yyyzzz85a5'
        #expect(
            SlackSignature.sign(secret: "8f742231b10e8888abcd99yyyzzz85a5", timestamp: 1_531_420_618, body: Array("token=xyz&team_id=T1".utf8))
                == "v0=71b0a7e79a0e37393adc80ac96f8aeffcbcdbf0ff8a0506259cf6bd02e6e13f2")
    }

    @Test func acceptsAGoodSignatureWithinTheWindow() {
        #expect(Self.refusal() == nil)
        #expect(Self.refusal(signature: Self.signature.uppercased().replacing("V0=", with: "v0=")) == nil)
        #expect(Self.refusal(now: Self.now.adding(microseconds: 300_000_000)) == nil)
        #expect(Self.refusal(now: Self.now.adding(microseconds: -300_000_000)) == nil)
        // Sub-second parts of `now` do not count against the window.
        #expect(Self.refusal(now: Self.now.adding(microseconds: 300_999_999)) == nil)
    }

    @Test func refusesStaleAndFutureTimestamps() {
        #expect(Self.refusal(now: Self.now.adding(microseconds: 301_000_000)) == .staleTimestamp)
        #expect(Self.refusal(now: Self.now.adding(microseconds: -301_000_000)) == .futureTimestamp)
        let stale = Self.refusal(now: Self.now.adding(microseconds: 86_400_000_000))
        #expect(stale == .staleTimestamp)
        do {
            try SlackSignature.verify(
                secret: Self.secret, timestampHeader: "1700000000", signatureHeader: Self.signature, body: Self.body,
                now: Self.now.adding(microseconds: 400_000_000))
            Issue.record("a 400 s old request passed")
        } catch {
            #expect(error.message.contains("400 s old"))
        }
        // A custom window.
        #expect(
            (try? SlackSignature.verify(
                secret: Self.secret, timestampHeader: "1700000000", signatureHeader: Self.signature, body: Self.body,
                now: Self.now.adding(microseconds: 61_000_000), window: 60)) == nil)
    }

    @Test func refusesTamperedBodiesSignaturesAndSecrets() {
        var tampered = Self.body
        tampered[tampered.count - 4] ^= 1
        #expect(Self.refusal(body: tampered) == .badSignature)
        #expect(Self.refusal(body: Self.body + [UInt8(ascii: " ")]) == .badSignature)
        #expect(Self.refusal(secret: "another-secret") == .badSignature)
        // The signature binds the timestamp: the same signature under another timestamp fails.
        #expect(Self.refusal(timestamp: "1700000001") == .badSignature)
        var flipped = Array(Self.signature)
        flipped[10] = flipped[10] == "0" ? "1" : "0"
        #expect(Self.refusal(signature: String(flipped)) == .badSignature)
        for malformed: String in ["", "v0=", "v1=" + Self.signature.dropFirst(3), String(Self.signature.dropLast()), Self.signature + "00", "v0=" + String(repeating: "zz", count: 32)] {
            #expect(Self.refusal(signature: malformed) == .badSignature, "\(malformed)")
        }
    }

    @Test func namesMissingAndMalformedHeaders() {
        #expect(Self.refusal(timestamp: nil) == .missingTimestamp)
        #expect(Self.refusal(signature: nil) == .missingSignature)
        for bad in ["", "17e8", "-1700000000", "+1700000000", " 1700000000", "1700000000.5", "9999999999999", "abc"] {
            #expect(Self.refusal(timestamp: bad) == .invalidTimestamp, "\(bad)")
        }
    }
}

struct SlackMessageTests {
    typealias Support = ChannelFormatterFixtures

    static func buttons(_ payload: JSONValue) -> [JSONValue] {
        payload["blocks"]?.arrayValue?.first(where: { $0["type"] == "actions" })?["elements"]?.arrayValue ?? []
    }

    static func block(_ payload: JSONValue, _ type: String) -> JSONValue? {
        payload["blocks"]?.arrayValue?.first(where: { $0["type"] == .string(type) })
    }

    @Test func firstRoundShowsTheQuestionSessionAndExpiry() {
        let payload = SlackMessage.payload(Support.prompt(expiresAt: Support.expiry))
        #expect(payload["text"] == "Question from agent-1: Approve the transfer?")
        #expect(Self.block(payload, "header")?["text"] == ["type": "plain_text", "text": "Question from agent-1"])
        #expect(Self.block(payload, "section")?["text"] == ["type": "mrkdwn", "text": "Approve the transfer?"])
        let context = Self.block(payload, "context")?["elements"]?.arrayValue?.compactMap { $0["text"]?.stringValue }
        #expect(
            context == [
                "Session `s-42`",
                "Expires <!date^1764520000^{date_short_pretty} at {time}|2025-11-30 16:26:40 UTC>",
            ])
        let elements = Self.buttons(payload)
        #expect(elements.compactMap { $0["action_id"]?.stringValue } == ["plexus_open", "plexus_decline"])
        #expect(elements[0]["url"] == "https://node.example/inbox/s-42?token=t1")
        #expect(elements[0]["text"]?["text"] == "Open form")
        #expect(elements[1]["value"] == #"{"s":"s-42"}"#)
        #expect(elements[1]["style"] == "danger")
        #expect(elements[1]["text"]?["text"] == "Decline")
    }

    @Test func escapesMrkdwnControlCharacters() {
        let prompt = Support.prompt(
            id: "s<1>", subject: "bot", message: ["message": "Pay <@U123> & <!channel> > 5?"],
            errors: [MessageTemplateViolation(pointer: "/a", rule: "enum", message: "<b> is not allowed", schemaPointer: "")],
            round: 2, approvers: ["a&b"])
        let payload = SlackMessage.payload(prompt)
        #expect(Self.block(payload, "section")?["text"]?["text"] == "Pay &lt;@U123&gt; &amp; &lt;!channel&gt; &gt; 5?")
        #expect(payload["text"] == "Question from bot: Pay &lt;@U123&gt; &amp; &lt;!channel&gt; &gt; 5?")
        let context = Self.block(payload, "context")?["elements"]?.arrayValue?.compactMap { $0["text"]?.stringValue } ?? []
        #expect(
            context == [
                "Session `s&lt;1&gt;` · round 2",
                "Asked of: a&amp;b",
                "*The previous answer was refused:*\n• /a: &lt;b&gt; is not allowed",
            ])
        // Plain-text fields are not mrkdwn and stay as written; the button value is JSON, not markup.
        #expect(Self.block(payload, "header")?["text"]?["text"] == "Question from bot")
        #expect(Self.buttons(payload).last?["value"] == #"{"s":"s<1>"}"#)
        #expect(SlackMessage.escape("a&b<c>d") == "a&amp;b&lt;c&gt;d")
    }

    @Test func reroundListsThePreviousErrors() {
        let prompt = Support.prompt(errors: [Support.amountTooSmall, .init(pointer: "", rule: "required", message: "\"note\" is missing", schemaPointer: "/required")], round: 3)
        let context = Self.block(SlackMessage.payload(prompt), "context")?["elements"]?.arrayValue?.compactMap { $0["text"]?.stringValue }
        #expect(
            context == [
                "Session `s-42` · round 3",
                "*The previous answer was refused:*\n• /amount: 0 is less than minimum 1\n• (reply): \"note\" is missing",
            ])
    }

    @Test func longTextIsCutWithinSlackLimitsWithoutSplittingAnEscape() {
        let question = String(repeating: "&", count: 2_000)
        let payload = SlackMessage.payload(Support.prompt(subject: String(repeating: "x", count: 400), message: ["message": .string(question)]))
        let section = Self.block(payload, "section")?["text"]?["text"]?.stringValue ?? ""
        #expect(section.utf16.count <= 3000)
        #expect(section.hasSuffix("&amp;…"))
        #expect(section.dropLast().replacing("&amp;", with: "").isEmpty)
        let header = Self.block(payload, "header")?["text"]?["text"]?.stringValue ?? ""
        #expect(header.utf16.count == 150)
        #expect(header.hasSuffix("x…"))
    }

    @Test func booleanFieldGetsYesAndNoButtons() throws {
        let template = try Support.template(#"{"type": "object", "properties": {"approved": {"type": "boolean"}}, "required": ["approved"]}"#)
        let elements = Self.buttons(SlackMessage.payload(Support.prompt(template: template)))
        #expect(elements.compactMap { $0["action_id"]?.stringValue } == ["plexus_answer_0", "plexus_answer_1", "plexus_open", "plexus_decline"])
        #expect(elements.compactMap { $0["text"]?["text"]?.stringValue } == ["Yes", "No", "Open form", "Decline"])
        #expect(elements[0]["value"] == #"{"s":"s-42","r":{"approved":true}}"#)
        #expect(elements[1]["value"] == #"{"s":"s-42","r":{"approved":false}}"#)
    }

    @Test func enumFieldGetsOneButtonPerValue() throws {
        let original = try Support.template(#"{"policy_input_schema": {"decision": {"type": "string", "enum": ["approve", "reject", "escalate"]}}}"#)
        let elements = Self.buttons(SlackMessage.payload(Support.prompt(template: original)))
        #expect(elements.compactMap { $0["text"]?["text"]?.stringValue } == ["approve", "reject", "escalate", "Open form", "Decline"])
        #expect(elements[2]["value"] == #"{"s":"s-42","r":{"decision":"escalate"}}"#)
        #expect(elements[2]["action_id"] == "plexus_answer_2")

        let numbers = try Support.template(#"{"properties": {"level": {"enum": [1, 2.5, null]}}}"#)
        let labels = Self.buttons(SlackMessage.payload(Support.prompt(template: numbers))).compactMap { $0["text"]?["text"]?.stringValue }
        #expect(labels == ["1", "2.5", "null", "Open form", "Decline"])
    }

    @Test func noAnswerButtonsUnlessTheReplyIsOneShortChoice() throws {
        let cases = [
            #"{"properties": {"note": {"type": "string"}}}"#,
            #"{"properties": {"a": {"type": "boolean"}, "b": {"type": "boolean"}}}"#,
            #"{"properties": {"pick": {"enum": ["a", "b", "c", "d", "e", "f"]}}}"#,
            #"{"policy_input_schema": {"ok": {"type": "boolean"}, "why": {"type": "string"}}}"#,
            #"{"policy_input_schema": {"amount": {"type": "number"}}}"#,
            // Another required member: a one-field reply would always be refused.
            #"{"properties": {"ok": {"type": "boolean"}}, "required": ["ok", "why"]}"#,
            #"{"type": "array"}"#,
            "true",
        ]
        for text in cases {
            let template = try Support.template(text)
            #expect(template.choiceField == nil, "\(text)")
            #expect(Self.buttons(SlackMessage.payload(Support.prompt(template: template))).count == 2, "\(text)")
        }
        #expect(Self.buttons(SlackMessage.payload(Support.prompt(template: nil))).count == 2)
    }

    @Test func choiceFieldKeepsOnlyValuesTheTemplateAccepts() throws {
        let refs = try Support.template(
            ##"{"$defs": {"d": {"enum": ["yes", "no", 3]}}, "properties": {"d": {"$ref": "#/$defs/d"}}, "not": {"properties": {"d": {"const": 3}}}}"##)
        let choice = try #require(refs.choiceField)
        #expect(choice.name == "d")
        #expect(choice.values == ["yes", "no"])

        let typed = try Support.template(#"{"policy_input_schema": {"n": {"type": "number", "enum": [1, "two", 3]}}}"#)
        #expect(typed.choiceField?.values == [1, 3])
        let constant = try Support.template(#"{"properties": {"ack": {"const": "seen"}}}"#)
        #expect(constant.choiceField?.values == ["seen"])
    }

    @Test func oversizedButtonValuesDropTheChoiceButtons() throws {
        let long = String(repeating: "v", count: 1_990)
        let template = try Support.template(#"{"properties": {"pick": {"enum": ["short", "\#(long)"]}}}"#)
        let elements = Self.buttons(SlackMessage.payload(Support.prompt(template: template)))
        #expect(elements.compactMap { $0["action_id"]?.stringValue } == ["plexus_open", "plexus_decline"])

        // Every value Slack is sent stays within its 2000-character limit.
        let fits = try Support.template(#"{"properties": {"pick": {"enum": ["\#(String(repeating: "w", count: 1_900))"]}}}"#)
        for element in Self.buttons(SlackMessage.payload(Support.prompt(template: fits))) {
            #expect((element["value"]?.stringValue?.utf16.count ?? 0) <= SlackMessage.maxButtonValueLength)
            #expect((element["text"]?["text"]?.stringValue?.utf16.count ?? 0) <= 75)
        }
    }
}

struct SlackInteractionTests {
    typealias Support = ChannelFormatterFixtures

    static func body(actionID: String, value: String?, user: JSONValue = ["id": "U1", "username": "alice", "name": "Alice"]) -> [UInt8] {
        var action: JSONObject = ["action_id": .string(actionID), "block_id": "plexus_actions", "type": "button"]
        if let value { action["value"] = .string(value) }
        let payload: JSONValue = [
            "type": "block_actions", "user": user, "response_url": "https://hooks.slack.com/actions/T1/1/abc",
            "actions": [.object(action)],
        ]
        return Array(("payload=" + Support.formEncode(payload.jsonString)).utf8)
    }

    static func refusal(_ body: [UInt8]) -> PlexusError? {
        do {
            _ = try SlackInteraction.parse(formBody: body)
            return nil
        } catch {
            return error
        }
    }

    @Test func everyButtonRoundTripsThroughParse() throws {
        let template = try Support.template(#"{"policy_input_schema": {"decision": {"enum": ["approve", "reject & log"]}}}"#)
        let prompt = Support.prompt(id: "s-ü/1", template: template)
        let elements = SlackMessageTests.buttons(SlackMessage.payload(prompt))
        var parsed: [SlackInteraction] = []
        for element in elements {
            let body = Self.body(actionID: element["action_id"]?.stringValue ?? "", value: element["value"]?.stringValue)
            parsed.append(try SlackInteraction.parse(formBody: body))
        }
        let expected: [SlackInteraction.Action] = [.answer(["decision": "approve"]), .answer(["decision": "reject & log"]), .openForm, .decline]
        #expect(parsed.map(\.action) == expected)
        #expect(parsed.allSatisfy { $0.sessionID == "s-ü/1" && $0.user == "alice" })
        #expect(parsed.first?.responseURL == "https://hooks.slack.com/actions/T1/1/abc")
    }

    @Test func userFallsBackFromUsernameToNameToID() throws {
        let value = #"{"s":"s-1"}"#
        #expect(try SlackInteraction.parse(formBody: Self.body(actionID: "plexus_decline", value: value, user: ["id": "U1", "name": "bob"])).user == "bob")
        #expect(try SlackInteraction.parse(formBody: Self.body(actionID: "plexus_decline", value: value, user: ["id": "U1"])).user == "U1")
        #expect(Self.refusal(Self.body(actionID: "plexus_decline", value: value, user: [:]))?.pointer == "/user")
    }

    @Test func parseWorksOnABodyAsSlackSignsIt() throws {
        let body = Self.body(actionID: "plexus_answer_0", value: #"{"s":"s-9","r":{"ok":true}}"#)
        let signature = SlackSignature.sign(secret: "shh", timestamp: 1_700_000_000, body: body)
        try SlackSignature.verify(
            secret: "shh", timestampHeader: "1700000000", signatureHeader: signature, body: body,
            now: Timestamp(microseconds: 1_700_000_100_000_000))
        let interaction = try SlackInteraction.parse(formBody: body)
        #expect(interaction == SlackInteraction(sessionID: "s-9", action: .answer(["ok": true]), user: "alice", responseURL: "https://hooks.slack.com/actions/T1/1/abc"))
    }

    @Test func refusesWhatIsNotAPlexusButton() {
        #expect(Self.refusal(Array("token=x".utf8))?.message == "the form has no \"payload\" field")
        #expect(Self.refusal(Array("payload=%7Bnope".utf8))?.code == .invalidJSON)
        #expect(Self.refusal(Array(("payload=" + Support.formEncode(#"{"type":"view_submission"}"#)).utf8))?.pointer == "/type")
        #expect(Self.refusal(Array(("payload=" + Support.formEncode(#"{"type":"block_actions","actions":[]}"#)).utf8))?.pointer == "/actions")
        #expect(Self.refusal(Self.body(actionID: "plexus_decline", value: nil))?.pointer == "/actions/0/value")
        #expect(Self.refusal(Self.body(actionID: "plexus_decline", value: "not json"))?.code == .invalidJSON)
        #expect(Self.refusal(Self.body(actionID: "plexus_decline", value: #"{"r":{}}"#))?.message.contains("no session") == true)
        #expect(Self.refusal(Self.body(actionID: "plexus_answer_0", value: #"{"s":"s-1"}"#))?.message.contains("no reply") == true)
        #expect(Self.refusal(Self.body(actionID: "plexus_answer_0", value: #"{"s":"s-1","r":true}"#))?.message.contains("no reply") == true)
        #expect(Self.refusal(Self.body(actionID: "other_app", value: #"{"s":"s-1"}"#))?.pointer == "/actions/0/action_id")
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(Self.refusal(Self.body(actionID: "plexus_answer_0", value: #"{"s":"s-1","r":{"x":\#(deep)}}"#))?.code == .tooDeep)
    }
}
