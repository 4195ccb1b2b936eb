import Testing

@testable import PlexusCore

/// The inbox pages: the right inputs for each template field, everything escaped, no script.
@Suite("Inbox pages")
struct InboxPageTests {
    private func prompt(
        message: JSONValue = ["message": "Approve the refund?"], template: String? = nil, errors: [MessageTemplateViolation] = [],
        approvers: [String] = [], subject: String = "agent-1", expiresAt: Timestamp? = nil, round: Int = 1
    ) throws -> ChannelPrompt {
        ChannelPrompt(
            sessionID: "s-1", subjectID: subject, message: message, template: try template.map { try MessageTemplate(JSONParser.parse($0)) },
            errors: errors, round: round, responseURL: "https://node/v1/sessions/s-1/reply?token=t", inboxURL: "/inbox/s-1?token=t&x=1",
            expiresAt: expiresAt, approvers: approvers)
    }

    /// Checks that apply to every page: a full document, no script, nothing loaded from elsewhere.
    private func expectSelfContained(_ html: String) {
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.hasSuffix("</html>\n"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        let lower = html.lowercased()
        for forbidden in ["<script", "javascript:", " src=", "<link", "@import", "<iframe"] {
            #expect(!lower.contains(forbidden), "\(forbidden)")
        }
        #expect(lower.firstRange(of: #/\son[a-z]+=/#) == nil, "no event handler attributes")
    }

    @Test func formHasOneTypedInputPerField() throws {
        let html = InboxPage.form(
            try prompt(
                template: #"""
                    {"type": "object",
                     "properties": {
                       "comment": {"type": "string", "description": "Why"},
                       "amount": {"type": "integer"},
                       "ratio": {"type": "number"},
                       "approved": {"type": "boolean"},
                       "level": {"enum": ["low", 2]},
                       "tags": {"type": "array", "items": {"type": "string"}},
                       "meta": {"type": "object"}
                     },
                     "required": ["amount", "approved"]}
                    """#),
            postURL: "/inbox/s-1?token=abc")
        expectSelfContained(html)
        #expect(html.contains(#"<form method="post" action="/inbox/s-1?token=abc" accept-charset="utf-8">"#))
        #expect(html.contains(#"<input type="text" id="field-0" name="f.comment" aria-describedby="field-0-hint">"#))
        #expect(html.contains("Why · text, optional"))
        #expect(html.contains(#"<input type="number" step="1" id="field-1" name="f.amount" aria-describedby="field-1-hint" required>"#))
        #expect(html.contains(#"<input type="number" step="any" id="field-2" name="f.ratio" aria-describedby="field-2-hint">"#))
        let boolean = #"""
            <select id="field-3" name="f.approved" aria-describedby="field-3-hint" required>
            <option value="">(choose)</option>
            <option value="true">true</option>
            <option value="false">false</option>
            </select>
            """#
        #expect(html.contains(boolean))
        let choices = #"""
            <select id="field-4" name="f.level" aria-describedby="field-4-hint">
            <option value="">(choose)</option>
            <option value="low">low</option>
            <option value="2">2</option>
            </select>
            """#
        #expect(html.contains(choices))
        #expect(html.contains(#"<textarea id="field-5" name="f.tags" aria-describedby="field-5-hint"></textarea>"#))
        #expect(html.contains("one text item per line, optional"))
        #expect(html.contains(#"<textarea id="field-6" name="f.meta" aria-describedby="field-6-hint"></textarea>"#))
        #expect(!html.contains(#"name="response_data""#))
        #expect(html.contains(#"<button type="submit" name="action" value="answer">"#))
        #expect(html.contains(#"<button type="submit" name="action" value="decline" formnovalidate>"#))
        #expect(html.contains(#"<input type="text" id="reason" name="reason">"#))
        #expect(!html.contains(#"name="approver""#))
        #expect(!html.contains("type=\"hidden\""))
        // The answer button comes first: pressing Enter in a field submits an answer, not a decline.
        let answer = try #require(html.range(of: #"value="answer""#))
        let decline = try #require(html.range(of: #"value="decline""#))
        #expect(answer.lowerBound < decline.lowerBound)
    }

    @Test func originalTemplateFieldsAreRequired() throws {
        let html = InboxPage.form(
            try prompt(template: #"{"policy_input_schema": {"n": {"type": "number"}, "colour": {"enum": ["red", "blue"]}}}"#),
            postURL: "/p")
        #expect(html.contains(#"name="f.n" aria-describedby="field-0-hint" required>"#))
        #expect(html.contains(#"<select id="field-1" name="f.colour" aria-describedby="field-1-hint" required>"#))
        #expect(html.contains(#"<option value="blue">blue</option>"#))
    }

    @Test func withoutTemplateTheFormAsksForAJSONObject() throws {
        for template in [nil, "true"] {
            let html = InboxPage.form(try prompt(template: template), postURL: "/p")
            #expect(html.contains(#"<textarea id="response-data" name="response_data" required>{}</textarea>"#))
            #expect(!html.contains("name=\"f."))
        }
    }

    @Test func approversAreAChoice() throws {
        let html = InboxPage.form(try prompt(approvers: ["alice", "b\"ob"]), postURL: "/p")
        #expect(html.contains(#"<select id="approver" name="approver">"#))
        #expect(html.contains(#"<option value="alice">alice</option>"#))
        #expect(html.contains(#"<option value="b&quot;ob">b&quot;ob</option>"#))
    }

    @Test func questionDetailsErrorsNoticeAndExpiry() throws {
        let errors = [
            MessageTemplateViolation(pointer: "/amount", rule: "minimum", message: "-1 is less than the minimum 0", schemaPointer: "/properties/amount/minimum"),
            MessageTemplateViolation(pointer: "", rule: "type", message: "expected an object", schemaPointer: "/type"),
        ]
        let html = InboxPage.form(
            try prompt(
                message: ["message": "Refund order 7?", "order": 7, "customer": ["name": "Ada"]],
                template: #"{"type": "object", "properties": {"amount": {"type": "integer"}}}"#, errors: errors,
                expiresAt: Timestamp(seconds: 1_764_520_000), round: 2),
            postURL: "/p", notice: "Your answer needs changes")
        #expect(html.contains("<div class=\"question\">Refund order 7?</div>"))
        #expect(html.contains("<dt>order</dt><dd>7</dd>"))
        #expect(html.contains("<dt>customer</dt><dd>{&quot;name&quot;:&quot;Ada&quot;}</dd>"))
        #expect(!html.contains("<dt>message</dt>"))
        #expect(html.contains("<li><code>/amount</code>: -1 is less than the minimum 0</li>"))
        #expect(html.contains("<li><code>(the whole answer)</code>: expected an object</li>"))
        // The field's own error also sits next to it.
        #expect(html.contains("aria-describedby=\"field-0-hint\">\n<p class=\"error\">-1 is less than the minimum 0</p>"))
        #expect(html.contains("<p class=\"notice\">Your answer needs changes</p>"))
        #expect(html.contains("round 2"))
        #expect(html.contains(#"<time datetime="2025-11-30T16:26:40.000000Z">2025-11-30 16:26:40 UTC</time>"#))
    }

    @Test func errorPointersNameTheirField() {
        #expect(InboxPage.topName(of: "/a~1b/0") == "a/b")
        #expect(InboxPage.topName(of: "/t~0x") == "t~x")
        #expect(InboxPage.topName(of: "/") == "")
        #expect(InboxPage.topName(of: "") == nil)
    }

    @Test func everythingFromDataIsEscaped() throws {
        let evil = #"<script>alert('x')</script> & "q""#
        let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        let html = InboxPage.form(
            try prompt(
                message: ["message": .string(evil), evil: .string(evil)],
                template: #"{"type": "object", "properties": {"<b>\"n'": {"enum": ["<i>"]}}}"#,
                errors: [MessageTemplateViolation(pointer: "/<x>", rule: "type", message: evil, schemaPointer: "")],
                approvers: [evil], subject: evil),
            postURL: "/inbox/s-1?token=a&b=\"c", notice: evil)
        expectSelfContained(html)
        #expect(!html.contains("<script>"))
        #expect(html.contains("<title>Question from \(escaped)</title>"))
        #expect(html.contains("<div class=\"question\">\(escaped)</div>"))
        #expect(html.contains("<dt>\(escaped)</dt>"))
        #expect(html.contains("<p class=\"notice\">\(escaped)</p>"))
        #expect(html.contains("<code>/&lt;x&gt;</code>"))
        #expect(html.contains(#"action="/inbox/s-1?token=a&amp;b=&quot;c""#))
        #expect(html.contains(#"name="f.&lt;b&gt;&quot;n&#39;""#))
        #expect(html.contains(#"<option value="&lt;i&gt;">&lt;i&gt;</option>"#))
        #expect(html.contains("<option value=\"\(escaped)\">"))
    }

    @Test func renderedChoicesDecodeBackToValidAnswers() throws {
        let source = #"{"type": "object", "properties": {"level": {"enum": [1, "1.5", true, null]}}, "required": ["level"]}"#
        let template = try MessageTemplate(JSONParser.parse(source))
        let html = InboxPage.form(try prompt(template: source), postURL: "/p")
        for value in ["1", "1.5", "true", "null"] {
            #expect(html.contains("<option value=\"\(value)\">"))
            let submission = try InboxSubmission.decode([("f.level", value)], template: template)
            guard case .answer(let data) = submission.action else {
                Issue.record("not an answer")
                continue
            }
            #expect(template.validate(data) == [], "\(value)")
        }
    }

    @Test func listLinksEachOpenSession() throws {
        let html = InboxPage.list(
            [
                try prompt(message: ["message": "First line\nsecond line"], expiresAt: Timestamp(seconds: 0)),
                try prompt(message: ["text": "<b>bold</b>"], subject: "agent-<2>", round: 3),
            ],
            node: "node-\"a\"")
        expectSelfContained(html)
        #expect(html.contains("<title>Inbox · node-&quot;a&quot;</title>"))
        #expect(html.contains(#"<a href="/inbox/s-1?token=t&amp;x=1">First line</a>"#))
        #expect(!html.contains("second line"))
        #expect(html.contains("1970-01-01 00:00:00 UTC"))
        #expect(html.contains("&lt;b&gt;bold&lt;/b&gt;</a> <span class=\"hint\">(asked again, round 3)</span>"))
        #expect(html.contains("<td>agent-&lt;2&gt;</td><td>never</td>"))
        #expect(!html.contains("No open questions"))
        #expect(InboxPage.list([], node: "n").contains("<p>No open questions.</p>"))
    }

    @Test func donePageIsEscaped() {
        let html = InboxPage.done(sessionID: "s-<1>", status: "declined", message: "Thanks <you>")
        expectSelfContained(html)
        #expect(html.contains("<h1>Thanks &lt;you&gt;</h1>"))
        #expect(html.contains("<code>s-&lt;1&gt;</code> is now <strong>declined</strong>"))
    }

    @Test func escapeCoversTheFiveCharacters() {
        #expect(InboxPage.escape(#"a&b<c>d"e'f"#) == "a&amp;b&lt;c&gt;d&quot;e&#39;f")
        #expect(InboxPage.escape("héllo 👋") == "héllo 👋")
    }
}
