/// Whether a reply is a pick among a few values, so a channel can offer one button per value
/// instead of sending the person to a form.
extension MessageTemplate {
    /// The most values offered as buttons; a longer list is a form's job (a select).
    public static let maxChoices = 5

    /// The reply's only field and the values it may take, when the reply is exactly one field that
    /// is a boolean (`[true, false]`) or has an `enum` of at most `maxChoices` values; nil otherwise.
    ///
    /// Each value is offered only if `{"<field>": value}` passes the whole template, so a button
    /// can never send a reply that would be refused (a template with other required members, or
    /// combinators that rule a value out, gets fewer buttons or none).
    public var choiceField: (name: String, values: [JSONValue])? {
        let candidate: (name: String, values: [JSONValue])?
        if let original = originalTemplate {
            candidate = Self.candidate(original)
        } else {
            candidate = jsonSchema?.choiceCandidate(maxValues: Self.maxChoices)
        }
        guard let candidate else { return nil }
        let values = candidate.values.filter { validate(.object([candidate.name: $0])).isEmpty }
        return values.isEmpty ? nil : (candidate.name, values)
    }

    private static func candidate(_ template: OriginalTemplate) -> (name: String, values: [JSONValue])? {
        guard template.fields.count == 1, let field = template.fields.first else { return nil }
        if let allowed = field.allowedValues {
            return allowed.count <= maxChoices ? (field.name, allowed) : nil
        }
        return field.type == .boolean ? (field.name, [true, false]) : nil
    }
}
