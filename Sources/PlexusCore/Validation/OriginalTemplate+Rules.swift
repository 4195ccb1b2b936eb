/// Reading one field's rules from an original template, strictly.
extension OriginalTemplate {
    static let fieldRules: Set<String> = [
        "type", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "minItems", "maxItems", "uniqueItems", "items",
    ]
    static let itemRules: Set<String> = ["type", "pattern"]

    static func field(_ name: String, _ rules: JSONValue, at pointer: String) throws(MessageTemplateError) -> OriginalTemplateField {
        guard case .object(let rules) = rules else {
            throw MessageTemplateError(
                .invalidValue, pointer: pointer,
                "the rules for field \(MessageTemplateText.quoted(name)) must be an object, found \(MessageTemplateText.described(rules))")
        }
        try refuseUnknown(rules, allowed: fieldRules, at: pointer)
        func at(_ rule: String) -> String { JSONSchemaPointer.appending(pointer, rule) }
        func count(_ rule: String) throws(MessageTemplateError) -> Int? {
            guard let value = rules[rule] else { return nil }
            return try JSONSchemaCompiler.nonNegativeInteger(value, rule, at(rule))
        }
        func limit(_ rule: String) throws(MessageTemplateError) -> JSONValue? {
            guard let value = rules[rule] else { return nil }
            _ = try JSONSchemaCompiler.number(value, rule, at(rule))
            return value
        }

        var allowedValues: [JSONValue]?
        if let value = rules["enum"] {
            guard case .array(let values) = value, !values.isEmpty else {
                throw JSONSchemaCompiler.invalid(
                    at("enum"), "enum must be a non-empty array of the allowed values, found \(MessageTemplateText.described(value))")
            }
            allowedValues = values
        }
        var items: OriginalTemplateField.Items?
        if let value = rules["items"] {
            guard case .object(let itemRules) = value else {
                throw JSONSchemaCompiler.invalid(
                    at("items"), "items must be an object of item rules (type, pattern), found \(MessageTemplateText.described(value))")
            }
            try refuseUnknown(itemRules, allowed: Self.itemRules, at: at("items"))
            let itemsAt = at("items")
            items = .init(
                type: try type(itemRules["type"], at: JSONSchemaPointer.appending(itemsAt, "type")),
                pattern: try itemRules["pattern"].map { v throws(MessageTemplateError) in
                    try JSONSchemaCompiler.pattern(v, JSONSchemaPointer.appending(itemsAt, "pattern"))
                })
        }
        return OriginalTemplateField(
            name: name,
            type: try type(rules["type"], at: at("type")),
            allowedValues: allowedValues,
            pattern: try rules["pattern"].map { v throws(MessageTemplateError) in try JSONSchemaCompiler.pattern(v, at("pattern")) },
            minLength: try count("minLength"),
            maxLength: try count("maxLength"),
            minimum: try limit("minimum"),
            maximum: try limit("maximum"),
            exclusiveMinimum: try limit("exclusiveMinimum"),
            exclusiveMaximum: try limit("exclusiveMaximum"),
            minItems: try count("minItems"),
            maxItems: try count("maxItems"),
            uniqueItems: try rules["uniqueItems"].map { v throws(MessageTemplateError) in
                try JSONSchemaCompiler.boolean(v, "uniqueItems", at("uniqueItems"))
            } ?? false,
            items: items)
    }

    private static func type(_ value: JSONValue?, at pointer: String) throws(MessageTemplateError) -> OriginalTemplateField.ValueType {
        guard let value else { return .any }
        guard case .string(let name) = value, let type = OriginalTemplateField.ValueType(rawValue: name) else {
            let valid = OriginalTemplateField.ValueType.allCases.map(\.rawValue).joined(separator: ", ")
            throw JSONSchemaCompiler.invalid(pointer, "type must be one of \(valid), found \(MessageTemplateText.described(value))")
        }
        return type
    }

    private static func refuseUnknown(_ rules: JSONObject, allowed: Set<String>, at pointer: String) throws(MessageTemplateError) {
        for name in rules.keys where !allowed.contains(name) {
            throw MessageTemplateError(
                .unknownRule, pointer: JSONSchemaPointer.appending(pointer, name),
                "unknown rule \(MessageTemplateText.quoted(name)); the rules are \(allowed.sorted().joined(separator: ", "))")
        }
    }
}
