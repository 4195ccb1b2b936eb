import PlexusCore
import Testing

struct TeamsCardTests {
    typealias Fixtures = ChannelFormatterFixtures

    static func texts(_ payload: JSONValue) -> [String] {
        let card = payload["attachments"]?.arrayValue?.first?["content"]
        return card?["body"]?.arrayValue?.compactMap { $0["text"]?.stringValue } ?? []
    }

    @Test func wrapsAnAdaptiveCardInAWebhookMessage() throws {
        let payload = TeamsCard.payload(Fixtures.prompt(expiresAt: Fixtures.expiry))
        #expect(payload["type"] == "message")
        let attachments = try #require(payload["attachments"]?.arrayValue)
        #expect(attachments.count == 1)
        #expect(attachments[0]["contentType"] == "application/vnd.microsoft.card.adaptive")
        let card = try #require(attachments[0]["content"])
        #expect(card["type"] == "AdaptiveCard")
        #expect(card["version"] == "1.4")
        #expect(card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json")
        #expect(card["actions"] == [["type": "Action.OpenUrl", "title": "Answer", "url": "https://node.example/inbox/s-42?token=t1"]])
        #expect(card["body"]?.arrayValue?.allSatisfy { $0["type"] == "TextBlock" && $0["wrap"] == true } == true)
        #expect(
            Self.texts(payload) == [
                "Question from agent-1", "Approve the transfer?", "Session s-42", "Expires 2025-11-30 16:26:40 UTC",
            ])
        #expect(card == TeamsCard.card(Fixtures.prompt(expiresAt: Fixtures.expiry)))
    }

    @Test func rePromptListsThePreviousErrors() {
        let prompt = Fixtures.prompt(
            message: ["amount": 0, "currency": "EUR"], errors: [Fixtures.amountTooSmall], round: 2, approvers: ["alice", "bob"])
        let payload = TeamsCard.payload(prompt)
        #expect(
            Self.texts(payload) == [
                "Question from agent-1", #"{"amount":0,"currency":"EUR"}"#, "The previous answer was refused:",
                "- /amount: 0 is less than minimum 1", "Session s-42 · round 2", "Asked of: alice, bob",
            ])
        let blocks = payload["attachments"]?.arrayValue?.first?["content"]?["body"]?.arrayValue ?? []
        #expect(blocks[2]["color"] == "Attention")
        #expect(blocks[2]["weight"] == "Bolder")
    }

    @Test func longQuestionsAreCut() {
        let payload = TeamsCard.payload(Fixtures.prompt(message: ["message": .string(String(repeating: "q", count: 50_000))]))
        let question = Self.texts(payload)[1]
        #expect(question.utf16.count == 10_000)
        #expect(question.hasSuffix("q…"))
    }
}
