/// The answer form of one session, built from its template (see `TemplateFormField`); what it posts
/// is read back by `InboxSubmission.decode`.
extension InboxPage {
    /// The form for one prompt, posting to `postURL` (which carries the session's single-use token,
    /// so the form has no hidden fields). `notice` is shown above the question, e.g. "This session
    /// was already answered" or "Your answer needs changes".
    ///
    /// Inputs are plain HTML with the browser's own checks only where they cannot refuse a valid
    /// answer (`required` on numbers and choices, `type=number`); the template's validation on the
    /// node is the judge, and its errors come back as the next round's `prompt.errors`. The decline
    /// button skips the browser's checks (`formnovalidate`) so that a person can always decline.
    public static func form(_ prompt: ChannelPrompt, postURL: String, notice: String? = nil) -> String {
        var body = "<h1>Question from \(escape(prompt.subjectID))</h1>\n"
        body += "<p class=\"meta\">Session <code>\(escape(prompt.sessionID))</code>"
        if prompt.round > 1 { body += " · asked again (round \(prompt.round))" }
        body += " · expires \(expiry(prompt.expiresAt))</p>\n"
        if let notice { body += "<p class=\"notice\">\(escape(notice))</p>\n" }
        body += "<div class=\"question\">\(escape(prompt.text))</div>\n"
        body += details(of: prompt.message)
        body += previousErrors(prompt.errors)

        body += "<form method=\"post\" action=\"\(escape(postURL))\" accept-charset=\"utf-8\">\n"
        let fields = prompt.template?.formFields ?? []
        if fields.isEmpty {
            body += "<label for=\"response-data\">Your answer (a JSON object)</label>\n"
            body += "<textarea id=\"response-data\" name=\"\(InboxSubmission.rawField)\" required>{}</textarea>\n"
        } else {
            for (index, field) in fields.enumerated() {
                body += input(for: field, id: "field-\(index)", errors: prompt.errors.filter { topName(of: $0.pointer) == field.name })
            }
        }
        if !prompt.approvers.isEmpty {
            body += "<label for=\"approver\">Answering as</label>\n<select id=\"approver\" name=\"approver\">\n"
            body += "<option value=\"\">(choose)</option>\n"
            for approver in prompt.approvers {
                body += "<option value=\"\(escape(approver))\">\(escape(approver))</option>\n"
            }
            body += "</select>\n"
        }
        body += "<div class=\"actions\"><button type=\"submit\" name=\"action\" value=\"answer\">Send answer</button></div>\n"
        body += "<fieldset>\n<legend>Or decline to answer</legend>\n"
        body += "<label for=\"reason\">Reason (optional)</label>\n<input type=\"text\" id=\"reason\" name=\"reason\">\n"
        body += "<button type=\"submit\" name=\"action\" value=\"decline\" formnovalidate>Decline</button>\n</fieldset>\n"
        body += "</form>\n"
        return document(title: "Question from \(prompt.subjectID)", body: body)
    }

    /// The members of `message_data` other than the one `ChannelPrompt.text` shows, as a definition
    /// list: the context the agent gave with its question.
    static func details(of message: JSONValue) -> String {
        guard case .object(let members) = message else { return "" }
        let textKey = ["message", "text", "question"].first { members[$0]?.stringValue != nil }
        let rows = members.filter { $0.key != textKey }
        guard !rows.isEmpty else { return "" }
        var html = "<dl>\n"
        for (key, value) in rows {
            html += "<dt>\(escape(key))</dt><dd>\(escape(value.stringValue ?? value.jsonString))</dd>\n"
        }
        return html + "</dl>\n"
    }

    static func previousErrors(_ errors: [MessageTemplateViolation]) -> String {
        guard !errors.isEmpty else { return "" }
        var html = "<section class=\"errors\">\n<h2>Your previous answer was not accepted</h2>\n<ul>\n"
        for error in errors {
            let place = error.pointer.isEmpty ? "(the whole answer)" : error.pointer
            html += "<li><code>\(escape(place))</code>: \(escape(error.message))</li>\n"
        }
        return html + "</ul>\n</section>\n"
    }

    /// The field a violation is about: the first token of its JSON pointer, unescaped (RFC 6901).
    static func topName(of pointer: String) -> String? {
        guard pointer.hasPrefix("/") else { return nil }
        let token = pointer.dropFirst().prefix { $0 != "/" }
        var name = ""
        var tilde = false
        for character in token {
            if tilde {
                name.append(character == "1" ? "/" : character == "0" ? "~" : character)
                tilde = false
            } else if character == "~" {
                tilde = true
            } else {
                name.append(character)
            }
        }
        return name
    }

    /// One field: its label and hint, its control, and the errors the last answer had there.
    static func input(for field: TemplateFormField, id: String, errors: [MessageTemplateViolation]) -> String {
        let name = escape(InboxSubmission.fieldPrefix + field.name)
        var html = "<label for=\"\(id)\">\(escape(field.name))</label>\n"
        var hint = hintText(for: field)
        if let description = field.description { hint = description + " · " + hint }
        html += "<div class=\"hint\" id=\"\(id)-hint\">\(escape(hint))</div>\n"
        let described = "id=\"\(id)\" name=\"\(name)\" aria-describedby=\"\(id)-hint\""
        let required = field.required ? " required" : ""

        if let choices = field.choices {
            html += select(described, required: required, options: choices.map(InboxSubmission.formValue(of:)))
        } else {
            switch field.kind {
            case .string:
                html += "<input type=\"text\" \(described)>\n"
            case .number:
                html += "<input type=\"number\" step=\"any\" \(described)\(required)>\n"
            case .integer:
                html += "<input type=\"number\" step=\"1\" \(described)\(required)>\n"
            case .boolean:
                // A select rather than a checkbox: an unchecked box sends nothing, so "false" could
                // not be told from "not answered".
                html += select(described, required: required, options: ["true", "false"])
            case .array:
                html += "<textarea \(described)></textarea>\n"
            case .object, .any:
                html += "<textarea \(described)\(required)></textarea>\n"
            }
        }
        for error in errors {
            html += "<p class=\"error\">\(escape(error.message))</p>\n"
        }
        return html
    }

    /// A select whose first option is empty, so nothing is chosen until the person chooses (and a
    /// `required` select cannot be sent that way).
    private static func select(_ attributes: String, required: String, options: [String]) -> String {
        var html = "<select \(attributes)\(required)>\n<option value=\"\">(choose)</option>\n"
        for option in options {
            html += "<option value=\"\(escape(option))\">\(escape(option))</option>\n"
        }
        return html + "</select>\n"
    }

    private static func hintText(for field: TemplateFormField) -> String {
        let what: String =
            if field.choices != nil {
                "one of the choices"
            } else {
                switch field.kind {
                case .string: "text"
                case .number: "a number"
                case .integer: "a whole number"
                case .boolean: "true or false"
                case .array: "one \(itemNoun(field.itemKind ?? .any)) per line"
                case .object: "a JSON object"
                case .any: "JSON, or plain text"
                }
            }
        return what + (field.required ? ", required" : ", optional")
    }

    private static func itemNoun(_ kind: TemplateFormField.Kind) -> String {
        switch kind {
        case .string: "text item"
        case .number: "number"
        case .integer: "whole number"
        case .boolean: "true or false"
        case .array: "JSON array"
        case .object: "JSON object"
        case .any: "item (JSON or text)"
        }
    }
}
