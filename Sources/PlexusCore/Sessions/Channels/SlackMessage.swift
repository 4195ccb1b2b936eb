/// The Slack message for one round of a session: the body a `slack` channel POSTs to its
/// incoming-webhook URL.
///
/// The message reads on its own (the question, the session, when it expires, why the last answer
/// was refused) and offers what Slack can answer in place: one button per value when the reply is
/// a single yes/no or a short choice (see `MessageTemplate.choiceField`), Decline, and a link to the
/// inbox form for everything else. A click comes back to the node as an interactivity callback,
/// read by `SlackInteraction.parse` after `SlackSignature.verify`.
///
/// Button values carry the session id and the reply (`{"s":"<id>","r":{"<field>":<value>}}`), so
/// the callback needs no server-side lookup of which button meant what. They are not secrets: the
/// callback is trusted because Slack signed it, and the reply still goes through the template.
public enum SlackMessage {
    /// Slack refuses a button whose `value` is longer; a choice that would not fit gets no buttons.
    public static let maxButtonValueLength = 2000
    /// The `action_id` prefix of answer buttons; the suffix is the value's index in the choice.
    public static let answerActionPrefix = "plexus_answer_"
    public static let declineActionID = "plexus_decline"
    /// The link button. Slack notifies the app of link clicks too; they change nothing.
    public static let openFormActionID = "plexus_open"

    // Slack's block limits, in characters.
    static let maxHeaderLength = 150
    static let maxTextLength = 3000
    static let maxButtonTextLength = 75
    static let maxURLLength = 3000

    public static func payload(_ prompt: ChannelPrompt) -> JSONValue {
        let question = prompt.text
        var blocks: [JSONValue] = [
            ["type": "header", "text": plainText("Question from \(prompt.subjectID)", limit: maxHeaderLength)],
            ["type": "section", "text": ["type": "mrkdwn", "text": .string(escaped(question, limit: maxTextLength))]],
            ["type": "context", "elements": .array(context(prompt).map { ["type": "mrkdwn", "text": .string($0)] })],
        ]
        let buttons = buttons(prompt)
        if !buttons.isEmpty {
            blocks.append(["type": "actions", "block_id": "plexus_actions", "elements": .array(buttons)])
        }
        return [
            // The notification and screen-reader text, shown where blocks are not.
            "text": .string(escaped("Question from \(prompt.subjectID): \(question)", limit: maxTextLength)),
            "blocks": .array(blocks),
        ]
    }

    /// Escapes the three characters Slack's mrkdwn treats as markup (`<…>` links and mentions,
    /// `&` entities), so text from an agent cannot ping `<!channel>` or disguise a link.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text { out += escape(character) }
        return out
    }

    static func escape(_ character: Character) -> String {
        switch character {
        case "&": "&amp;"
        case "<": "&lt;"
        case ">": "&gt;"
        default: String(character)
        }
    }

    static func escaped(_ text: String, limit: Int) -> String {
        ChannelText.limited(text, limit, escape)
    }

    static func plainText(_ text: String, limit: Int) -> JSONValue {
        ["type": "plain_text", "text": .string(ChannelText.limited(text, limit))]
    }

    /// The context block's lines: session (and round), expiry, approvers, the previous errors.
    static func context(_ prompt: ChannelPrompt) -> [String] {
        var session = "Session `\(escape(prompt.sessionID))`"
        if prompt.round > 1 { session += " · round \(prompt.round)" }
        var lines = [ChannelText.limited(session, maxTextLength)]
        if let expiry = prompt.expiresAt {
            // Slack renders the date token in the reader's own time zone; the text after `|` is
            // the fallback for clients that cannot.
            let seconds = ChannelText.unixSeconds(expiry)
            lines.append("Expires <!date^\(seconds)^{date_short_pretty} at {time}|\(ChannelText.readableUTC(expiry))>")
        }
        if !prompt.approvers.isEmpty {
            lines.append(escaped("Asked of: " + prompt.approvers.joined(separator: ", "), limit: maxTextLength))
        }
        if !prompt.errors.isEmpty {
            let list = ChannelText.errorLines(prompt.errors).map { "• " + escape($0) }.joined(separator: "\n")
            lines.append(ChannelText.limited("*The previous answer was refused:*\n" + list, maxTextLength))
        }
        return lines
    }

    /// Answer buttons (when the reply is a short choice), Open form, Decline.
    static func buttons(_ prompt: ChannelPrompt) -> [JSONValue] {
        var elements: [JSONValue] = []
        if let choice = prompt.template?.choiceField {
            let values = choice.values.map { value in
                JSONValue.object(["s": .string(prompt.sessionID), "r": .object([choice.name: value])]).jsonString
            }
            // All or none: offering some of the choices would suggest the others do not exist.
            if values.allSatisfy({ $0.utf16.count <= maxButtonValueLength }) {
                for (index, value) in choice.values.enumerated() {
                    elements.append([
                        "type": "button",
                        "text": plainText(label(value), limit: maxButtonTextLength),
                        "action_id": .string(answerActionPrefix + String(index)),
                        "value": .string(values[index]),
                    ])
                }
            }
        }
        let sessionOnly = JSONValue.object(["s": .string(prompt.sessionID)]).jsonString
        let sessionFits = sessionOnly.utf16.count <= maxButtonValueLength
        if !prompt.inboxURL.isEmpty, prompt.inboxURL.utf16.count <= maxURLLength {
            var open: JSONObject = [
                "type": "button", "text": plainText("Open form", limit: maxButtonTextLength),
                "action_id": .string(openFormActionID), "url": .string(prompt.inboxURL),
            ]
            if sessionFits { open["value"] = .string(sessionOnly) }
            elements.append(.object(open))
        }
        if sessionFits {
            elements.append([
                "type": "button",
                "text": plainText("Decline", limit: maxButtonTextLength),
                "action_id": .string(declineActionID),
                "value": .string(sessionOnly),
                "style": "danger",
                "confirm": [
                    "title": plainText("Decline this request?", limit: 100),
                    "text": plainText("\(prompt.subjectID) is told that you declined, and the question closes.", limit: 300),
                    "confirm": plainText("Decline", limit: 30),
                    "deny": plainText("Back", limit: 30),
                    "style": "danger",
                ],
            ])
        }
        return elements
    }

    /// A button's label: strings as themselves, booleans as Yes/No, anything else as JSON.
    static func label(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text.isEmpty ? "\"\"" : text
        case .bool(let flag): flag ? "Yes" : "No"
        default: value.jsonString
        }
    }
}
