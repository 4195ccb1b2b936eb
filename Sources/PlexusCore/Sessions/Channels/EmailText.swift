/// The email for one round of a session, as plain text: what an `email` channel sends over SMTP.
///
/// Plain text because it reads the same in every client and cannot hide a link behind other text.
/// Lines end in `\n` (carriage returns in the question are folded into it); the SMTP shell turns
/// them into CRLF, dot-stuffs, and encodes non-ASCII subjects (RFC 2047) and bodies.
public enum EmailText {
    /// Longest subject, in characters, before the question is cut with `…`.
    public static let maxSubjectLength = 120
    /// The most enum values listed for one field.
    static let maxListedValues = 20

    /// `[Plexus] agent-1 asks: <question>`, on one line (never a CR or LF, which would start a new
    /// header), with `(round N)` on a re-prompt.
    public static func subject(_ prompt: ChannelPrompt) -> String {
        var prefix = "[Plexus] "
        if prompt.round > 1 { prefix += "(round \(prompt.round)) " }
        let full = prefix + ChannelText.singleLine("\(prompt.subjectID) asks: \(prompt.text)")
        return ChannelText.limited(full, maxSubjectLength)
    }

    public static func body(_ prompt: ChannelPrompt) -> String {
        var sections: [String] = ["\(ChannelText.singleLine(prompt.subjectID)) asks:\n\n" + Self.lines(prompt.text)]
        if !prompt.errors.isEmpty {
            let list = ChannelText.errorLines(prompt.errors).map { "  - " + Self.lines($0) }.joined(separator: "\n")
            sections.append("Your previous answer was refused:\n" + list)
        }
        if let fields = prompt.template.flatMap(Self.fields) {
            sections.append(fields)
        }
        sections.append("Answer here: \(prompt.inboxURL)")
        var footer: [String] = []
        if let expiry = prompt.expiresAt {
            footer.append("This question expires at \(ChannelText.readableUTC(expiry)).")
        }
        if !prompt.approvers.isEmpty {
            footer.append("Asked of: " + prompt.approvers.joined(separator: ", "))
        }
        footer.append("Session: \(ChannelText.singleLine(prompt.sessionID))" + (prompt.round > 1 ? " (round \(prompt.round))" : ""))
        sections.append(footer.joined(separator: "\n"))
        return sections.joined(separator: "\n\n") + "\n"
    }

    /// `text` with CRLF and lone CR as LF, and other control characters (except tab) removed:
    /// a bare CR or a NUL in a mail body is refused or mangled by mail servers.
    static func lines(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var previousCR = false
        for scalar in text.unicodeScalars {
            defer { previousCR = scalar == "\r" }
            switch scalar {
            case "\r": out.append("\n")
            case "\n": if !previousCR { out.append("\n") }
            case "\t": out.append(scalar)
            default: if scalar.properties.generalCategory != .control { out.append(scalar) }
            }
        }
        return String(out)
    }

    /// "Your reply needs these fields:" and one line per field with its type and rules, read from the
    /// template as written (the original format's `policy_input_schema` rules use JSON Schema's
    /// keyword names). Nil when the template names no fields.
    static func fields(_ template: MessageTemplate) -> String? {
        let properties: JSONObject
        let required: Set<String>
        if template.isOriginal {
            guard let members = template.source[OriginalTemplate.bodyKey]?.objectValue else { return nil }
            properties = members
            required = Set(members.keys)
        } else {
            guard let members = template.source["properties"]?.objectValue else { return nil }
            properties = members
            required = Set(template.source["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        guard !properties.isEmpty else { return nil }
        var lines = ["Your reply needs these fields:"]
        for (name, rules) in properties {
            var line = "  - " + ChannelText.singleLine(name) + (required.contains(name) ? " (required)" : " (optional)")
            let described = describe(rules)
            if !described.isEmpty { line += ": " + described.joined(separator: ", ") }
            if let description = rules["description"]?.stringValue ?? rules["title"]?.stringValue {
                line += " — " + ChannelText.singleLine(description)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The rules of one field in words: `number, at least 1, at most 100`, `one of "yes", "no"`.
    static func describe(_ rules: JSONValue) -> [String] {
        var parts: [String] = []
        switch rules["type"] {
        case .string(let type)?: parts.append(type)
        case .array(let types)?: parts.append(types.compactMap(\.stringValue).joined(separator: " or "))
        default: break
        }
        if let values = rules["enum"]?.arrayValue {
            var shown = values.prefix(maxListedValues).map { $0.jsonString }.joined(separator: ", ")
            if values.count > maxListedValues { shown += ", …" }
            parts.append("one of " + shown)
        }
        if let constant = rules["const"] { parts.append("exactly " + constant.jsonString) }
        let limits: [(String, String, String?)] = [
            ("minimum", "at least", nil), ("maximum", "at most", nil),
            ("exclusiveMinimum", "more than", nil), ("exclusiveMaximum", "less than", nil),
            ("minLength", "at least", "character"), ("maxLength", "at most", "character"),
            ("minItems", "at least", "item"), ("maxItems", "at most", "item"),
        ]
        for (keyword, words, unit) in limits {
            guard let value = rules[keyword], value.doubleValue != nil else { continue }
            let plural = value.doubleValue == 1 ? "" : "s"
            parts.append("\(words) \(value.jsonString)" + (unit.map { " " + $0 + plural } ?? ""))
        }
        if let pattern = rules["pattern"]?.stringValue { parts.append("matching " + MessageTemplateText.quoted(pattern)) }
        if rules["uniqueItems"]?.boolValue == true { parts.append("no repeated items") }
        return parts.map(ChannelText.singleLine)
    }
}
