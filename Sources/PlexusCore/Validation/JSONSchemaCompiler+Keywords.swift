/// The keywords of one schema object, checked and compiled into a node.
extension JSONSchemaCompiler {
    /// Keywords whose meaning we do not implement and whose absence would make validation laxer than
    /// the author intended; refused rather than ignored. (Annotations and unknown keywords are ignored,
    /// as the spec says.)
    static let unsupportedKeywords: [(keyword: String, reason: String)] = [
        ("$dynamicRef", "$dynamicRef is not supported; use $ref"),
        ("$recursiveRef", "$recursiveRef is not supported; use $ref"),
        ("unevaluatedProperties", "unevaluatedProperties is not supported; list the properties and use additionalProperties"),
        ("unevaluatedItems", "unevaluatedItems is not supported; use prefixItems and items"),
    ]

    mutating func compileKeywords(
        _ keywords: JSONObject, into node: JSONSchemaNode, index: Int, nesting: Int
    ) throws(MessageTemplateError) {
        let pointer = node.pointer
        func at(_ keyword: String) -> String { JSONSchemaPointer.appending(pointer, keyword) }

        for (keyword, reason) in Self.unsupportedKeywords where keywords[keyword] != nil {
            throw MessageTemplateError(.unsupportedKeyword, pointer: at(keyword), reason)
        }
        try compileIdentity(keywords, at: at, index: index)
        if let value = keywords["$ref"] {
            guard case .string(let text) = value else {
                throw Self.invalid(at("$ref"), "$ref must be a string, found \(MessageTemplateText.described(value))")
            }
            node.reference = .init(text: text)
            pendingReferences.append((index, at("$ref")))
        }
        // Definitions are compiled even when nothing refers to them, so their mistakes show at save time.
        for keyword in ["$defs", "definitions"] {
            if let value = keywords[keyword] { _ = try subschemaMap(value, keyword, at(keyword), nesting: nesting) }
        }

        if let value = keywords["type"] { node.types = try types(value, at("type")) }
        if let value = keywords["const"] { node.constant = value }
        if let value = keywords["enum"] {
            guard case .array(let values) = value else {
                throw Self.invalid(at("enum"), "enum must be an array of the allowed values, found \(MessageTemplateText.described(value))")
            }
            node.enumeration = .init(values: values, keys: Set(values.map(JSONSchemaValueKey.init)))
        }
        node.numeric = try numericRules(keywords, at: at)
        node.string = try stringRules(keywords, at: at)
        node.array = try arrayRules(keywords, at: at, nesting: nesting)
        node.object = try objectRules(keywords, at: at, nesting: nesting)

        if let value = keywords["allOf"] { node.allOf = try subschemaArray(value, "allOf", at("allOf"), nesting: nesting) }
        if let value = keywords["anyOf"] { node.anyOf = try subschemaArray(value, "anyOf", at("anyOf"), nesting: nesting) }
        if let value = keywords["oneOf"] { node.oneOf = try subschemaArray(value, "oneOf", at("oneOf"), nesting: nesting) }
        if let value = keywords["not"] { node.not = try subschema(value, at("not"), nesting: nesting) }
        // then and else without if are ignored by the spec, but still checked here.
        let then = try keywords["then"].map { v throws(MessageTemplateError) in try subschema(v, at("then"), nesting: nesting) }
        let otherwise = try keywords["else"].map { v throws(MessageTemplateError) in try subschema(v, at("else"), nesting: nesting) }
        if let value = keywords["if"] {
            node.conditional = .init(condition: try subschema(value, at("if"), nesting: nesting), then: then, otherwise: otherwise)
        }
    }

    /// `$id` (only at the root) and `$anchor`.
    private mutating func compileIdentity(
        _ keywords: JSONObject, at: (String) -> String, index: Int
    ) throws(MessageTemplateError) {
        if let value = keywords["$id"] {
            guard case .string = value else {
                throw Self.invalid(at("$id"), "$id must be a string, found \(MessageTemplateText.described(value))")
            }
            // A nested $id starts a new resource whose "#…" references resolve against it, not the
            // template; rather than resolve them wrongly, refuse.
            guard index == 0 else {
                throw MessageTemplateError(
                    .unsupportedKeyword, pointer: at("$id"),
                    "$id is only supported at the root of a template; name subschemas with $anchor or refer to them by JSON pointer")
            }
        }
        if let value = keywords["$anchor"] {
            guard case .string(let name) = value, Self.isAnchorName(name) else {
                throw Self.invalid(
                    at("$anchor"),
                    "$anchor must be a name of letters, digits, '-', '_' and '.' starting with a letter or '_', "
                        + "found \(MessageTemplateText.described(value))")
            }
            guard anchors[name] == nil else {
                throw Self.invalid(at("$anchor"), "$anchor \(MessageTemplateText.quoted(name)) is defined twice")
            }
            anchors[name] = index
        }
    }

    static func isAnchorName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.".unicodeScalars.contains(scalar))
        }
    }

    private func types(_ value: JSONValue, _ pointer: String) throws(MessageTemplateError) -> JSONSchemaTypeSet {
        let valid = JSONSchemaTypeSet.named.map(\.name).joined(separator: ", ")
        func named(_ element: JSONValue, _ pointer: String) throws(MessageTemplateError) -> JSONSchemaTypeSet {
            guard case .string(let name) = element, let type = JSONSchemaTypeSet(name: name) else {
                throw Self.invalid(pointer, "type must be one of \(valid), found \(MessageTemplateText.described(element))")
            }
            return type
        }
        switch value {
        case .string:
            return try named(value, pointer)
        case .array(let elements) where !elements.isEmpty:
            var set: JSONSchemaTypeSet = []
            for (offset, element) in elements.enumerated() {
                let type = try named(element, JSONSchemaPointer.appending(pointer, offset))
                guard set.isDisjoint(with: type) else {
                    throw Self.invalid(JSONSchemaPointer.appending(pointer, offset), "type lists \(MessageTemplateText.brief(element)) twice")
                }
                set.formUnion(type)
            }
            return set
        default:
            throw Self.invalid(pointer, "type must be a type name or a non-empty array of them, found \(MessageTemplateText.described(value))")
        }
    }

    private func numericRules(
        _ keywords: JSONObject, at: (String) -> String
    ) throws(MessageTemplateError) -> JSONSchemaNode.NumericRules? {
        var rules = JSONSchemaNode.NumericRules()
        var any = false
        func limit(_ keyword: String) throws(MessageTemplateError) -> JSONSchemaNumber? {
            guard let value = keywords[keyword] else { return nil }
            any = true
            return try Self.number(value, keyword, at(keyword))
        }
        rules.minimum = try limit("minimum")
        rules.maximum = try limit("maximum")
        rules.exclusiveMinimum = try limit("exclusiveMinimum")
        rules.exclusiveMaximum = try limit("exclusiveMaximum")
        rules.multipleOf = try limit("multipleOf")
        if let step = rules.multipleOf, !(step.doubleValue > 0) {
            throw Self.invalid(at("multipleOf"), "multipleOf must be greater than 0, found \(step)")
        }
        return any ? rules : nil
    }

    private func stringRules(
        _ keywords: JSONObject, at: (String) -> String
    ) throws(MessageTemplateError) -> JSONSchemaNode.StringRules? {
        var rules = JSONSchemaNode.StringRules()
        if let value = keywords["minLength"] { rules.minLength = try Self.nonNegativeInteger(value, "minLength", at("minLength")) }
        if let value = keywords["maxLength"] { rules.maxLength = try Self.nonNegativeInteger(value, "maxLength", at("maxLength")) }
        if let value = keywords["pattern"] { rules.pattern = try Self.pattern(value, at("pattern")) }
        return rules.minLength == nil && rules.maxLength == nil && rules.pattern == nil ? nil : rules
    }

    private mutating func arrayRules(
        _ keywords: JSONObject, at: (String) -> String, nesting: Int
    ) throws(MessageTemplateError) -> JSONSchemaNode.ArrayRules? {
        var rules = JSONSchemaNode.ArrayRules()
        var any = false
        if let value = keywords["prefixItems"] {
            any = true
            rules.prefixItems = try subschemaArray(value, "prefixItems", at("prefixItems"), nesting: nesting)
        }
        if let value = keywords["items"] {
            any = true
            if case .array = value {
                throw Self.invalid(at("items"), "items must be a schema; for a tuple (the array form of older drafts) use prefixItems")
            }
            rules.items = try subschema(value, at("items"), nesting: nesting)
        }
        for keyword in ["minItems", "maxItems", "minContains", "maxContains"] {
            guard let value = keywords[keyword] else { continue }
            any = true
            let count = try Self.nonNegativeInteger(value, keyword, at(keyword))
            switch keyword {
            case "minItems": rules.minItems = count
            case "maxItems": rules.maxItems = count
            case "minContains": rules.minContains = count
            default: rules.maxContains = count
            }
        }
        if let value = keywords["uniqueItems"] {
            any = true
            rules.uniqueItems = try Self.boolean(value, "uniqueItems", at("uniqueItems"))
        }
        if let value = keywords["contains"] {
            any = true
            rules.contains = try subschema(value, at("contains"), nesting: nesting)
        }
        return any ? rules : nil
    }

    private mutating func objectRules(
        _ keywords: JSONObject, at: (String) -> String, nesting: Int
    ) throws(MessageTemplateError) -> JSONSchemaNode.ObjectRules? {
        var rules = JSONSchemaNode.ObjectRules()
        var any = false
        if let value = keywords["properties"] {
            any = true
            for (name, node) in try subschemaMap(value, "properties", at("properties"), nesting: nesting) {
                rules.properties[name] = node
            }
        }
        if let value = keywords["patternProperties"] {
            any = true
            let pointer = at("patternProperties")
            for (source, node) in try subschemaMap(value, "patternProperties", pointer, nesting: nesting) {
                let compiled = try Self.compilePattern(source, JSONSchemaPointer.appending(pointer, source))
                rules.patternProperties.append((compiled, node))
            }
        }
        if let value = keywords["additionalProperties"] {
            any = true
            rules.additionalProperties = try subschema(value, at("additionalProperties"), nesting: nesting)
        }
        if let value = keywords["required"] {
            any = true
            rules.required = try Self.uniqueStrings(value, "required", at("required"))
        }
        for keyword in ["minProperties", "maxProperties"] {
            guard let value = keywords[keyword] else { continue }
            any = true
            let count = try Self.nonNegativeInteger(value, keyword, at(keyword))
            if keyword == "minProperties" { rules.minProperties = count } else { rules.maxProperties = count }
        }
        if let value = keywords["propertyNames"] {
            any = true
            rules.propertyNames = try subschema(value, at("propertyNames"), nesting: nesting)
        }
        if let value = keywords["dependentRequired"] {
            any = true
            let pointer = at("dependentRequired")
            guard case .object(let members) = value else {
                throw Self.invalid(
                    pointer, "dependentRequired must be an object of property-name arrays, found \(MessageTemplateText.described(value))")
            }
            for (name, list) in members {
                let names = try Self.uniqueStrings(list, "dependentRequired", JSONSchemaPointer.appending(pointer, name))
                rules.dependentRequired.append((name, names))
            }
        }
        if let value = keywords["dependentSchemas"] {
            any = true
            rules.dependentSchemas = try subschemaMap(value, "dependentSchemas", at("dependentSchemas"), nesting: nesting)
        }
        return any ? rules : nil
    }
}
