import Collections

/// A template in the original system's format: `{"policy_input_schema": {"<field>": {<rules>}}}`.
///
/// The format predates JSON Schema support and is kept so that existing topics keep working, and
/// because human-in-the-loop sessions build forms from it (see `fields`). Its semantics, unlike
/// JSON Schema's: every listed field is required, fields not listed are allowed, and a rule name the
/// format does not define is refused when the template is saved, since in so small a format a typo
/// (`"maxlength"`) would otherwise pass every message without anyone noticing.
public struct OriginalTemplate: Sendable, Hashable {
    /// The body member that marks a template as original.
    public static let bodyKey = "policy_input_schema"

    /// In template order.
    public let fields: [OriginalTemplateField]

    /// Whether `body` is in the original format rather than a JSON Schema.
    public static func isOriginal(_ body: JSONValue) -> Bool {
        body[bodyKey] != nil
    }

    /// Compiles a template body `{"policy_input_schema": {...}}`; other members of the body are
    /// ignored. Errors point into the body, e.g. `/policy_input_schema/age/minimum`.
    public init(_ body: JSONValue) throws(MessageTemplateError) {
        let root = "/" + Self.bodyKey
        guard let schema = body[Self.bodyKey] else {
            throw MessageTemplateError(.invalidValue, pointer: "", "an original template must have a \"\(Self.bodyKey)\" member")
        }
        guard case .object(let members) = schema else {
            throw MessageTemplateError(
                .invalidValue, pointer: root,
                "\(Self.bodyKey) must be an object of field rules, found \(MessageTemplateText.described(schema))")
        }
        var fields: [OriginalTemplateField] = []
        for (name, rules) in members {
            fields.append(try Self.field(name, rules, at: JSONSchemaPointer.appending(root, name)))
        }
        self.fields = fields
    }

    /// The violations of a message's data, field by field in template order; empty when it is valid.
    /// At most `MessageTemplate.maxViolations`.
    public func validate(_ data: JSONValue) -> [MessageTemplateViolation] {
        guard case .object(let members) = data else { return [Self.notAnObject(data)] }
        var violations: [MessageTemplateViolation] = []
        for field in fields {
            check(field, members[field.name], into: &violations)
            if violations.count >= MessageTemplate.maxViolations { break }
        }
        return Array(violations.prefix(MessageTemplate.maxViolations))
    }

    /// The violations grouped by field name, for a form that shows each next to its field; fields
    /// without violations are absent. Data that is not an object is reported under `""`.
    public func violationsByField(_ data: JSONValue) -> OrderedDictionary<String, [MessageTemplateViolation]> {
        guard case .object(let members) = data else { return ["": [Self.notAnObject(data)]] }
        var grouped: OrderedDictionary<String, [MessageTemplateViolation]> = [:]
        for field in fields {
            var violations: [MessageTemplateViolation] = []
            check(field, members[field.name], into: &violations)
            if !violations.isEmpty { grouped[field.name] = violations }
        }
        return grouped
    }

    /// The violations of one field's value (nil when the field is missing), for checking a form field
    /// as it is filled in. A name the template does not list has no rules, so nothing to violate.
    public func validate(field name: String, value: JSONValue?) -> [MessageTemplateViolation] {
        guard let field = fields.first(where: { $0.name == name }) else { return [] }
        var violations: [MessageTemplateViolation] = []
        check(field, value, into: &violations)
        return violations
    }

    private static func notAnObject(_ data: JSONValue) -> MessageTemplateViolation {
        MessageTemplateViolation(
            pointer: "", rule: "type", message: "expected an object of fields, found \(MessageTemplateText.described(data))",
            schemaPointer: "/" + bodyKey)
    }
}
