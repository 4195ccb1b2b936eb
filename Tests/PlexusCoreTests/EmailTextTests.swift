import PlexusCore
import Testing

struct EmailTextTests {
    typealias Fixtures = ChannelFormatterFixtures

    @Test func subjectIsOneBoundedLine() {
        #expect(EmailText.subject(Fixtures.prompt()) == "[Plexus] agent-1 asks: Approve the transfer?")
        #expect(EmailText.subject(Fixtures.prompt(round: 2)) == "[Plexus] (round 2) agent-1 asks: Approve the transfer?")
        let injected = EmailText.subject(Fixtures.prompt(message: ["message": "Hi\r\nBcc: victim@example.com\n\n\tbody"]))
        #expect(injected == "[Plexus] agent-1 asks: Hi Bcc: victim@example.com body")
        let long = EmailText.subject(Fixtures.prompt(message: ["message": .string(String(repeating: "word ", count: 100))]))
        #expect(long.count == EmailText.maxSubjectLength)
        #expect(long.hasSuffix("…"))
        #expect(!long.contains("\n") && !long.contains("\r"))
    }

    @Test func firstRoundBodyWithAJSONSchemaTemplate() throws {
        let template = try Fixtures.template(
            #"""
            {"type": "object", "required": ["decision"], "properties": {
              "decision": {"enum": ["approve", "reject"], "description": "What to do"},
              "amount": {"type": ["number", "null"], "minimum": 1, "exclusiveMaximum": 1000},
              "note": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[a-z]"}
            }}
            """#)
        let body = EmailText.body(Fixtures.prompt(template: template, expiresAt: Fixtures.expiry))
        #expect(
            body == """
                agent-1 asks:

                Approve the transfer?

                Your reply needs these fields:
                  - decision (required): one of "approve", "reject" — What to do
                  - amount (optional): number or null, at least 1, less than 1000
                  - note (optional): string, at least 1 character, at most 200 characters, matching "^[a-z]"

                Answer here: https://node.example/inbox/s-42?token=t1

                This question expires at 2025-11-30 16:26:40 UTC.
                Session: s-42

                """)
    }

    @Test func reroundBodyWithAnOriginalTemplate() throws {
        let template = try Fixtures.template(
            #"{"policy_input_schema": {"amount": {"type": "number", "minimum": 1}, "tags": {"type": "array", "maxItems": 3, "uniqueItems": true}}}"#)
        let prompt = Fixtures.prompt(
            message: ["question": "How much?\r\nIn EUR.\rThanks"], template: template, errors: [Fixtures.amountTooSmall], round: 2,
            approvers: ["alice"])
        #expect(
            EmailText.body(prompt) == """
                agent-1 asks:

                How much?
                In EUR.
                Thanks

                Your previous answer was refused:
                  - /amount: 0 is less than minimum 1

                Your reply needs these fields:
                  - amount (required): number, at least 1
                  - tags (required): array, at most 3 items, no repeated items

                Answer here: https://node.example/inbox/s-42?token=t1

                Asked of: alice
                Session: s-42 (round 2)

                """)
    }

    @Test func noTemplateNoFieldsSection() {
        let body = EmailText.body(Fixtures.prompt(message: ["message": "Ok?\u{0}\u{7}"]))
        #expect(body == "agent-1 asks:\n\nOk?\n\nAnswer here: https://node.example/inbox/s-42?token=t1\n\nSession: s-42\n")
        #expect(!body.contains("needs these fields"))
    }
}
