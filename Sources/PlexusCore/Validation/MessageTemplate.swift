/// A topic's message template: the shape every message published on the topic must have.
///
/// A template is compiled once, when it is saved, into a form that validates messages without
/// re-reading the template (patterns compiled, `$ref`s resolved), and a template that could not be
/// applied soundly is refused then with a `MessageTemplateError` pointing at the mistake. Two formats:
///
/// - a JSON Schema (draft 2020-12: an object or a boolean), the format to use;
/// - the original system's `{"policy_input_schema": {...}}` (see `OriginalTemplate`), kept so that
///   existing topics and human-in-the-loop forms work unchanged.
///
/// Equality and hashing are by `source`: a template is what its author wrote.
public struct MessageTemplate: Sendable, Hashable {
    /// The most violations one validation reports. Enough to fix a message in one go; bounded
    /// so that a hostile message cannot make the node build an unbounded error report.
    public static let maxViolations = 32

    /// The template body as saved.
    public let source: JSONValue

    private enum Compiled: Sendable {
        case jsonSchema(JSONSchema)
        case original(OriginalTemplate)
    }

    private let compiled: Compiled

    /// Compiles a template body: `{"policy_input_schema": {...}}` in the original rules, otherwise a
    /// JSON Schema (an object or a boolean).
    public init(_ body: JSONValue) throws(MessageTemplateError) {
        source = body
        if OriginalTemplate.isOriginal(body) {
            compiled = .original(try OriginalTemplate(body))
        } else {
            compiled = .jsonSchema(try JSONSchema(body))
        }
    }

    /// Whether the template is in the original `policy_input_schema` format.
    public var isOriginal: Bool { originalTemplate != nil }

    /// The original-format template, for building a human-in-the-loop form; nil for a JSON Schema.
    public var originalTemplate: OriginalTemplate? {
        guard case .original(let template) = compiled else { return nil }
        return template
    }

    /// The compiled JSON Schema; nil for an original-format template.
    var jsonSchema: JSONSchema? {
        guard case .jsonSchema(let schema) = compiled else { return nil }
        return schema
    }

    /// The ways `data` (a message's data) breaks the template, in the order the template states its
    /// rules; empty when it conforms. At most `maxViolations`.
    public func validate(_ data: JSONValue) -> [MessageTemplateViolation] {
        switch compiled {
        case .jsonSchema(let schema): schema.validate(data, maxViolations: Self.maxViolations)
        case .original(let template): template.validate(data)
        }
    }

    public static func == (lhs: MessageTemplate, rhs: MessageTemplate) -> Bool {
        lhs.source == rhs.source
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
    }
}
