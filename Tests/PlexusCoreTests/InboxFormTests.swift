import Testing

@testable import PlexusCore

/// Decoding the inbox form's text fields into typed `response_data`, declines and refusals.
@Suite("Inbox form submissions")
struct InboxFormTests {
    static let template = #"""
        {"type": "object",
         "properties": {
           "approved": {"type": "boolean"},
           "amount": {"type": "integer", "minimum": 0},
           "ratio": {"type": "number"},
           "comment": {"type": "string"},
           "title": {"type": "string"},
           "level": {"enum": [1, 2, "high"]},
           "ids": {"type": "array", "items": {"type": "integer"}},
           "labels": {"type": "array", "items": {"type": "string"}},
           "meta": {"type": "object"},
           "extra": {}
         },
         "required": ["approved", "amount", "title", "labels"]}
        """#

    private func template(_ text: String = Self.template) throws -> MessageTemplate {
        try MessageTemplate(JSONParser.parse(text))
    }

    private func answer(_ fields: [(String, String)], _ template: MessageTemplate?) throws -> JSONValue? {
        guard case .answer(let data) = try InboxSubmission.decode(fields, template: template).action else { return nil }
        return data
    }

    private func refusal(_ fields: [(String, String)], _ template: MessageTemplate?) -> PlexusError? {
        do {
            _ = try InboxSubmission.decode(fields, template: template)
            return nil
        } catch {
            return error
        }
    }

    @Test func fieldsAreTypedPerTemplate() throws {
        let fields: [(String, String)] = [
            ("action", "answer"),
            ("f.approved", "false"),
            ("f.amount", " 42 "),
            ("f.ratio", "0.25"),
            ("f.comment", "looks <fine>"),
            ("f.title", "Q3"),
            ("f.level", "2"),
            ("f.ids", "1\r\n\r\n 2 \r\n3"),
            ("f.labels", "alpha\nbeta gamma\n  \n"),
            ("f.meta", #"{"k": [1, true]}"#),
            ("f.extra", "plain words"),
        ]
        let data = try answer(fields, template())
        let expected: JSONValue = [
            "approved": false, "amount": 42, "ratio": 0.25, "comment": "looks <fine>", "title": "Q3", "level": 2,
            "ids": [1, 2, 3], "labels": ["alpha", "beta gamma"], "meta": ["k": [1, true]], "extra": "plain words",
        ]
        #expect(data == expected)
        #expect(try template().validate(#require(data)) == [])
    }

    @Test func choicesMapBackToTheirJSONValues() throws {
        let t = try template()
        #expect(try answer([("f.level", "high")], t)?["level"] == "high")
        #expect(try answer([("f.level", "1")], t)?["level"] == 1)
        // Not a choice: kept as text, so validation names the field.
        #expect(try answer([("f.level", "4")], t)?["level"] == "4")
    }

    @Test func integralDecimalInIntegerFieldIsAnInteger() throws {
        #expect(try answer([("f.amount", "3.0")], template())?["amount"] == .integer(3))
        #expect(try answer([("f.amount", "3.5")], template())?["amount"] == .double(3.5))
        #expect(try answer([("f.ratio", "1e3")], template())?["ratio"] == .double(1000))
    }

    @Test func emptyOptionalFieldsAreOmittedAndEmptyRequiredOnesAreReported() throws {
        let t = try template()
        let fields: [(String, String)] = [
            ("f.approved", ""), ("f.amount", ""), ("f.ratio", ""), ("f.comment", ""), ("f.title", ""), ("f.level", ""),
            ("f.ids", "\r\n"), ("f.labels", ""), ("f.meta", ""), ("f.extra", " "),
        ]
        let data = try #require(try answer(fields, t))
        // A required string or array left empty is still a value; other required fields go missing.
        #expect(data == ["title": "", "labels": []])
        #expect(t.validate(data).map(\.message).count == 2)
        #expect(t.validate(data).allSatisfy { $0.rule == "required" })
    }

    @Test func valuesOfTheWrongTypeAreKeptForValidationToReport() throws {
        let t = try template()
        let data = try #require(
            try answer(
                [("f.approved", "yes"), ("f.amount", "ten"), ("f.title", "x"), ("f.labels", "a"), ("f.ids", "1\nsix"), ("f.meta", "{broken")],
                t))
        #expect(data["approved"] == "yes")
        #expect(data["amount"] == "ten")
        #expect(data["ids"] == [1, "six"])
        #expect(data["meta"] == "{broken")
        let pointers = t.validate(data).map(\.pointer)
        #expect(pointers.contains("/approved"))
        #expect(pointers.contains("/amount"))
        #expect(pointers.contains("/ids/1"))
        #expect(pointers.contains("/meta"))
    }

    @Test func originalTemplateFields() throws {
        let t = try template(#"{"policy_input_schema": {"ok": {"type": "boolean"}, "n": {"type": "number"}, "tags": {"type": "array"}}}"#)
        let data = try answer([("f.ok", "true"), ("f.n", "-1.5"), ("f.tags", "x\n7\n{\"a\":1}")], t)
        #expect(data == ["ok": true, "n": -1.5, "tags": ["x", 7, ["a": 1]]])
    }

    @Test func missingActionMeansAnswer() throws {
        let t = try template()
        let submission = try InboxSubmission.decode([("f.title", "t")], template: t)
        #expect(submission == InboxSubmission(action: .answer(["title": "t"])))
    }

    @Test func declineIgnoresFieldsAndKeepsReasonAndApprover() throws {
        let t = try template()
        let submission = try InboxSubmission.decode(
            [("f.amount", "not a number"), ("action", "decline"), ("reason", "  not my call  "), ("approver", "alice")], template: t)
        #expect(submission == InboxSubmission(action: .decline(reason: "not my call"), approver: "alice"))
        let blank = try InboxSubmission.decode([("action", "decline"), ("reason", " "), ("approver", "")], template: nil)
        #expect(blank == InboxSubmission(action: .decline(reason: nil), approver: nil))
    }

    @Test func approverComesWithAnAnswer() throws {
        let submission = try InboxSubmission.decode([("response_data", "{}"), ("approver", "bob")], template: nil)
        #expect(submission == InboxSubmission(action: .answer([:]), approver: "bob"))
    }

    @Test func noTemplateTakesTheReplyAsAJSONObject() throws {
        #expect(try answer([("response_data", #" {"ok": true, "n": 1} "#)], nil) == ["ok": true, "n": 1])
        // A schema without properties gives no fields, so the same raw input.
        #expect(try answer([("response_data", #"{"a": "b"}"#)], template(#"{"type": "object"}"#)) == ["a": "b"])
    }

    @Test func noTemplateRefusesAnythingButAJSONObject() {
        for body in ["", "  ", "[1]", "42", "{oops", #""text""#] {
            let error = refusal([("response_data", body)], nil)
            #expect(error?.code == .invalidField, "\(body)")
            #expect(error?.pointer == "/response_data")
            #expect(error?.message.contains("response_data") == true)
        }
        #expect(refusal([("action", "answer")], nil)?.pointer == "/response_data")
    }

    @Test func refusesWhatNoFormOfOursSends() throws {
        let t = try template()
        #expect(refusal([("action", "delete")], t)?.pointer == "/action")
        #expect(refusal([("f.nope", "1")], t)?.message.contains("f.nope") == true)
        #expect(refusal([("f.x", "1"), ("response_data", "{}")], nil)?.pointer == "/f.x")
        #expect(refusal([("f.title", "a"), ("f.title", "b")], t)?.message.contains("more than once") == true)
        #expect(refusal([("action", "answer"), ("action", "decline")], t)?.code == .invalidField)
    }

    @Test func otherNamesAreIgnored() throws {
        #expect(try answer([("token", "abc"), ("token", "def"), ("response_data", "{}")], nil) == [:])
    }
}
