/// What a person submitted on the inbox form (`InboxPage.form`), typed for the session core: an
/// answer as the JSON `response_data` the template expects, or a decline.
///
/// The form posts every value as text, so decoding gives each `f.<name>` input the JSON type its
/// template field declares. A value that does not read as that type (`abc` in a number field,
/// broken JSON in an object field) is *kept as a string* instead of failing the submission: the
/// template's validation then reports it as a per-field violation (`/amount: expected integer,
/// found "abc"`), together with every other field's problems, and the next round of the form shows
/// each next to its field. Throwing here would report only the first bad field, outside the
/// re-prompt flow the session already has for wrong answers. Errors are thrown only for a
/// submission no form of ours produces (an unknown action or field, a repeated field) or for a
/// form without fields whose `response_data` is not a JSON object, as nothing could be validated.
public struct InboxSubmission: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        /// The reply, a JSON object for `response_data`, still to be validated against the template.
        case answer(JSONValue)
        /// The person declines to answer; `reason` is nil when left blank.
        case decline(reason: String?)
    }

    public var action: Action
    /// Who answers, in a quorum session (the `approver` select); nil when not chosen.
    public var approver: String?

    public init(action: Action, approver: String? = nil) {
        self.action = action
        self.approver = approver
    }

    /// Prefix of the form inputs that carry template fields, so that a field named `action` or
    /// `reason` cannot collide with the form's own controls.
    public static let fieldPrefix = "f."
    /// The single input of a form whose template has no fields: the whole reply as JSON.
    public static let rawField = "response_data"

    /// Decodes the pairs of an `application/x-www-form-urlencoded` body (already split and decoded).
    ///
    /// - `action` is `answer` (also when absent, as for a client that posts only fields) or `decline`.
    /// - Empty inputs of optional fields are omitted. A required string left empty is `""` and a
    ///   required array left empty is `[]` (both are values the template may accept); other required
    ///   fields left empty are omitted, so validation reports them as missing.
    /// - Arrays take one item per line; blank lines are skipped and items are trimmed.
    /// - Names other than `action`, `reason`, `approver`, `response_data` and `f.<name>` are ignored
    ///   (a shell may pass its own, e.g. a token).
    public static func decode(_ fields: [(String, String)], template: MessageTemplate?) throws(PlexusError) -> InboxSubmission {
        var values: [String: String] = [:]
        for (name, value) in fields where isOurs(name) {
            guard values.updateValue(value, forKey: name) == nil else {
                throw PlexusError(.invalidField, "the form field \"\(name)\" was sent more than once", pointer: "/\(name)")
            }
        }
        let approver = nonBlank(values["approver"])
        switch values["action"] {
        case nil, "answer":
            return InboxSubmission(action: .answer(try answer(values, template: template)), approver: approver)
        case "decline":
            return InboxSubmission(action: .decline(reason: nonBlank(values["reason"])), approver: approver)
        case let other?:
            throw PlexusError(.invalidField, "action must be \"answer\" or \"decline\", found \"\(other)\"", pointer: "/action")
        }
    }

    /// The text a choice is submitted as (the `value` of its `<option>`): a string as itself, so the
    /// form reads naturally to a client posting it by hand, anything else as compact JSON.
    static func formValue(of choice: JSONValue) -> String {
        choice.stringValue ?? choice.jsonString
    }

    private static func isOurs(_ name: String) -> Bool {
        name.hasPrefix(fieldPrefix) || ["action", "reason", "approver", rawField].contains(name)
    }

    private static func nonBlank(_ text: String?) -> String? {
        guard let trimmed = text.map(trimmed), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    private static func answer(_ values: [String: String], template: MessageTemplate?) throws(PlexusError) -> JSONValue {
        let formFields = template?.formFields ?? []
        let known = Set(formFields.map { fieldPrefix + $0.name })
        for name in values.keys.sorted() where name.hasPrefix(fieldPrefix) && !known.contains(name) {
            let detail = formFields.isEmpty ? "this form takes the whole reply as JSON in \(rawField)" : "the template has no such field"
            throw PlexusError(.invalidField, "unknown form field \"\(name)\": \(detail)", pointer: "/\(name)")
        }
        guard !formFields.isEmpty else { return try rawObject(values[rawField]) }
        var object = JSONObject()
        for field in formFields {
            if let value = typed(values[fieldPrefix + field.name], as: field) {
                object[field.name] = value
            }
        }
        return .object(object)
    }

    private static func rawObject(_ text: String?) throws(PlexusError) -> JSONValue {
        let pointer = "/" + rawField
        guard let text, !trimmed(text).isEmpty else {
            throw PlexusError(.invalidField, "\(rawField) is required: the reply as a JSON object", pointer: pointer)
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw PlexusError(.invalidField, "\(rawField) is not valid JSON: \(error.message)", pointer: pointer)
        }
        guard case .object = value else {
            throw PlexusError(.invalidField, "\(rawField) must be a JSON object, found \(MessageTemplateText.described(value))", pointer: pointer)
        }
        return value
    }

    /// One field's value; nil to leave the member out of the reply.
    private static func typed(_ raw: String?, as field: TemplateFormField) -> JSONValue? {
        guard let raw else { return nil }
        if let choices = field.choices {
            guard !raw.isEmpty else { return nil }
            return choices.first { formValue(of: $0) == raw } ?? .string(raw)
        }
        switch field.kind {
        // `if` statements rather than `c ? nil : value`: JSONValue is ExpressibleByNilLiteral, so
        // such a `nil` would become `.null` instead of leaving the member out.
        case .string:
            if raw.isEmpty && !field.required { return nil }
            return .string(raw)
        case .array:
            let lines = raw.split(whereSeparator: \.isNewline).map(trimmed).filter { !$0.isEmpty }
            if lines.isEmpty {
                if !field.required { return nil }
                return .array([])
            }
            return .array(lines.map { scalar($0, as: field.itemKind ?? .any) })
        case .number, .integer, .boolean, .object, .any:
            let text = trimmed(raw)
            if text.isEmpty { return nil }
            return scalar(text, as: field.kind)
        }
    }

    /// A non-empty, trimmed text read as `kind`, or kept as the string when it does not read as one.
    private static func scalar(_ text: String, as kind: TemplateFormField.Kind) -> JSONValue {
        switch kind {
        case .string:
            return .string(text)
        case .boolean:
            switch text {
            case "true": return true
            case "false": return false
            default: return .string(text)
            }
        case .number, .integer:
            switch try? JSONParser.parse(text) {
            case .integer(let value)?: return .integer(value)
            // `3.0` in an integer field is meant as 3; JSON Schema counts it as an integer too.
            case .double(let value)? where kind == .integer: return Int64(exactly: value).map(JSONValue.integer) ?? .double(value)
            case .double(let value)?: return .double(value)
            default: return .string(text)
            }
        case .array, .object, .any:
            // In an `any` field a bare word is not JSON: taking it as text is what a person means.
            return (try? JSONParser.parse(text)) ?? .string(text)
        }
    }

    private static func trimmed(_ text: some StringProtocol) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
