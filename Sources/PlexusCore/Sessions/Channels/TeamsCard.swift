/// The Microsoft Teams message for one round of a session: the body a `teams` channel POSTs to its
/// incoming-webhook (or Workflows) URL, an Adaptive Card 1.4.
///
/// Teams webhooks cannot call back into the node, so the card only shows the question and links to
/// the node's inbox form, where the answer is given and checked.
public enum TeamsCard {
    /// The card schema version; 1.4 is what Teams renders everywhere (desktop, web, mobile).
    public static let version = "1.4"
    /// Longest question shown; Teams refuses webhook messages past about 28 KB in all.
    static let maxQuestionLength = 10_000

    public static func payload(_ prompt: ChannelPrompt) -> JSONValue {
        [
            "type": "message",
            "attachments": [
                [
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": nil,
                    "content": card(prompt),
                ]
            ],
        ]
    }

    /// The Adaptive Card itself.
    public static func card(_ prompt: ChannelPrompt) -> JSONValue {
        var body: [JSONValue] = [
            textBlock("Question from \(prompt.subjectID)", ["size": "Medium", "weight": "Bolder"]),
            textBlock(ChannelText.limited(prompt.text, maxQuestionLength)),
        ]
        if !prompt.errors.isEmpty {
            body.append(textBlock("The previous answer was refused:", ["weight": "Bolder", "color": "Attention"]))
            // Markdown list items, one per line, which Adaptive Cards render as a bulleted list.
            let list = ChannelText.errorLines(prompt.errors).map { "- " + $0 }.joined(separator: "\n")
            body.append(textBlock(list, ["color": "Attention"]))
        }
        var session = "Session \(prompt.sessionID)"
        if prompt.round > 1 { session += " · round \(prompt.round)" }
        body.append(textBlock(session, ["isSubtle": true, "size": "Small", "spacing": "Medium"]))
        if let expiry = prompt.expiresAt {
            body.append(textBlock("Expires \(ChannelText.readableUTC(expiry))", ["isSubtle": true, "size": "Small", "spacing": "None"]))
        }
        if !prompt.approvers.isEmpty {
            body.append(
                textBlock("Asked of: " + prompt.approvers.joined(separator: ", "), ["isSubtle": true, "size": "Small", "spacing": "None"]))
        }
        return [
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": .string(version),
            "body": .array(body),
            "actions": [
                ["type": "Action.OpenUrl", "title": "Answer", "url": .string(prompt.inboxURL)]
            ],
            // Without this Teams squeezes the card into a narrow column.
            "msteams": ["width": "Full"],
        ]
    }

    static func textBlock(_ text: String, _ style: JSONObject = [:]) -> JSONValue {
        var block: JSONObject = ["type": "TextBlock", "text": .string(text), "wrap": true]
        block.merge(style) { _, new in new }
        return .object(block)
    }
}
