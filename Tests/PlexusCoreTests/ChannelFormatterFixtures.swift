import PlexusCore

/// Prompts and templates shared by the channel formatter tests.
enum ChannelFormatterFixtures {
    static func template(_ text: String) throws -> MessageTemplate {
        try MessageTemplate(JSONParser.parse(text))
    }

    static func prompt(
        id: String = "s-42", subject: String = "agent-1", message: JSONValue = ["message": "Approve the transfer?"],
        template: MessageTemplate? = nil, errors: [MessageTemplateViolation] = [], round: Int = 1,
        expiresAt: Timestamp? = nil, approvers: [String] = []
    ) -> ChannelPrompt {
        ChannelPrompt(
            sessionID: id, subjectID: subject, message: message, template: template, errors: errors, round: round,
            responseURL: "https://node.example/v1/sessions/\(id)/reply?token=r1", inboxURL: "https://node.example/inbox/\(id)?token=t1",
            expiresAt: expiresAt, approvers: approvers)
    }

    static let amountTooSmall = MessageTemplateViolation(
        pointer: "/amount", rule: "minimum", message: "0 is less than minimum 1", schemaPointer: "/properties/amount/minimum")

    /// 2025-11-30 16:26:40 UTC.
    static let expiry = Timestamp(microseconds: 1_764_520_000 * 1_000_000)

    /// `application/x-www-form-urlencoded` as a browser or Slack writes it: unreserved bytes as
    /// themselves, space as `+`, everything else `%XX`.
    static func formEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let digits = Array("0123456789ABCDEF")
                out += "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
            }
        }
        return out
    }
}
