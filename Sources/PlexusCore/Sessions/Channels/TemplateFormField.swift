/// One input of a human-in-the-loop form, read from a session's template: what to render
/// (`InboxPage`) and how to type what comes back (`InboxSubmission`).
///
/// Both template formats reduce to this, so the inbox has one form builder. It says only what a
/// form needs; the template itself stays the judge of a reply (`MessageTemplate.validate`), and
/// its violations come back to the person as the next round's errors.
public struct TemplateFormField: Sendable, Hashable {
    /// The JSON type a field's value is expected to have.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case string, number, integer, boolean, array, object, any
    }

    /// The member name in `response_data`.
    public var name: String
    public var kind: Kind
    /// The only values allowed (`enum`, or a JSON Schema `const`), rendered as a choice; nil when free.
    public var choices: [JSONValue]?
    /// Whether the reply must contain the member (JSON Schema `required`; every original field).
    public var required: Bool
    /// The type of each element, for `array` fields (`.any` when the template does not say); nil otherwise.
    public var itemKind: Kind?
    /// A JSON Schema `description` (or else `title`), shown under the field's name.
    public var description: String?

    public init(
        name: String, kind: Kind, choices: [JSONValue]? = nil, required: Bool = false, itemKind: Kind? = nil, description: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.choices = choices
        self.required = required
        self.itemKind = itemKind ?? (kind == .array ? .any : nil)
        self.description = description
    }
}

extension MessageTemplate {
    /// The form fields of the template, in the order the template lists them.
    ///
    /// An original template gives one field per `policy_input_schema` member, all required. A JSON
    /// Schema gives one field per member of the root's `properties`, with `type`, `enum`/`const` and
    /// `items.type` read from each property; anything the form cannot express (`$ref`, `oneOf`, a
    /// union of several types) becomes `.any`, a JSON text box. A schema without root `properties`
    /// (`true`, `{"type": "object"}`) has no fields: the form then asks for the whole reply as JSON.
    public var formFields: [TemplateFormField] {
        if let original = originalTemplate {
            return original.fields.map { field in
                TemplateFormField(
                    name: field.name, kind: Self.kind(of: field.type), choices: field.allowedValues, required: true,
                    itemKind: field.type == .array ? (field.items.map { Self.kind(of: $0.type) } ?? .any) : nil)
            }
        }
        guard case .object(let properties)? = source["properties"] else { return [] }
        var required: Set<String> = []
        if case .array(let names)? = source["required"] {
            for case .string(let name) in names { required.insert(name) }
        }
        return properties.map { name, schema in
            let kind = Self.kind(ofSchema: schema)
            var choices: [JSONValue]?
            if case .array(let values)? = schema["enum"], !values.isEmpty {
                choices = values
            } else if let value = schema["const"] {
                choices = [value]
            }
            let description = schema["description"]?.stringValue ?? schema["title"]?.stringValue
            return TemplateFormField(
                name: name, kind: kind, choices: choices, required: required.contains(name),
                itemKind: kind == .array ? (schema["items"].map(Self.kind(ofSchema:)) ?? .any) : nil, description: description)
        }
    }

    private static func kind(of type: OriginalTemplateField.ValueType) -> TemplateFormField.Kind {
        switch type {
        case .string: .string
        case .number: .number
        case .boolean: .boolean
        case .array: .array
        case .object: .object
        case .any: .any
        }
    }

    /// A schema's `type` as one kind. `"null"` in a type list is dropped, as an omitted optional
    /// member already says "no value"; a list of several other types cannot be one input, so `.any`.
    private static func kind(ofSchema schema: JSONValue) -> TemplateFormField.Kind {
        var names: [String] = []
        switch schema["type"] {
        case .string(let name)?: names = [name]
        case .array(let list)?: names = list.compactMap(\.stringValue).filter { $0 != "null" }
        default: break
        }
        guard names.count == 1 else { return .any }
        return TemplateFormField.Kind(rawValue: names[0]) ?? .any
    }
}
