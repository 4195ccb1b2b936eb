/// One way a message fails its topic's template.
///
/// Violations go back to whoever published the message (and to human-in-the-loop forms), so each
/// names the offending part of the data, the rule it broke and where that rule sits in the template:
/// enough to fix either the message or the template without reading validator code.
public struct MessageTemplateViolation: Sendable, Hashable, CustomStringConvertible {
    /// An RFC 6901 JSON pointer into the validated data: `""` for the root, e.g. `/items/2/name`.
    public var pointer: String
    /// The keyword or rule that failed: `type`, `required`, `minimum`, `pattern`, `oneOf`...
    public var rule: String
    /// A sentence naming the value and the limit, e.g. `"ab" has 2 characters, fewer than minLength 3`.
    public var message: String
    /// A JSON pointer into the template to the failing rule, e.g. `/properties/items/items/minLength`.
    public var schemaPointer: String

    public init(pointer: String, rule: String, message: String, schemaPointer: String) {
        self.pointer = pointer
        self.rule = rule
        self.message = message
        self.schemaPointer = schemaPointer
    }

    public var description: String {
        "\(pointer.isEmpty ? "(root)" : pointer): \(message) [\(rule) at \(schemaPointer.isEmpty ? "(root)" : schemaPointer)]"
    }
}
