/// One field of an original template (`policy_input_schema`): its name and the rules its value obeys.
///
/// Public and read-only so that a human-in-the-loop session can render a form from it (a text box
/// with a length limit, a number spinner, a choice among `allowedValues`) and check each field as it
/// is filled in, with the same rules the mesh applies to messages.
public struct OriginalTemplateField: Sendable, Hashable {
    /// The value types the original format names. `number` takes any JSON number, integral or not.
    public enum ValueType: String, Sendable, Hashable, CaseIterable {
        case string, number, boolean, array, object, any

        /// Whether `value` is of this type.
        public func admits(_ value: JSONValue) -> Bool {
            switch (self, value) {
            case (.any, _), (.string, .string), (.number, .integer), (.number, .double), (.boolean, .bool),
                (.array, .array), (.object, .object):
                true
            default:
                false
            }
        }
    }

    /// The rules for each element of an array field.
    public struct Items: Sendable, Hashable {
        public let type: ValueType
        public let pattern: MessageTemplatePattern?
    }

    public let name: String
    /// `.any` when the template names no type.
    public let type: ValueType
    /// The `enum` rule: the value must equal one of these (numbers compared by value).
    public let allowedValues: [JSONValue]?
    public let pattern: MessageTemplatePattern?
    /// In Unicode code points, as JSON Schema counts.
    public let minLength: Int?
    public let maxLength: Int?
    /// Number limits as the template wrote them (an integer or a double); compared exactly.
    public let minimum: JSONValue?
    public let maximum: JSONValue?
    public let exclusiveMinimum: JSONValue?
    public let exclusiveMaximum: JSONValue?
    public let minItems: Int?
    public let maxItems: Int?
    public let uniqueItems: Bool
    public let items: Items?
}
