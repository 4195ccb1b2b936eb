/// The keywords checked on a value itself, without applying subschemas: `type`, `const`, `enum`, and
/// the limits on numbers, strings, arrays and objects. Each limit applies only to its kind (a
/// `minLength` says nothing about a number), as the spec says. None of these recurse, so they can
/// build their messages inline.
extension JSONSchema {
    /// `type`, `const` and `enum`.
    func checkKind(_ node: JSONSchemaNode, _ value: JSONValue, _ state: inout JSONSchemaValidationState) -> Bool {
        var valid = true
        func failed(_ keyword: String, _ message: String) -> Bool {
            valid = false
            return state.fail(rule: keyword, at: JSONSchemaPointer.appending(node.pointer, keyword), message)
        }
        if let types = node.types, JSONSchemaTypeSet.of(value).isDisjoint(with: types),
            !failed("type", "expected \(types.names), found \(MessageTemplateText.described(value))")
        {
            return false
        }
        if let constant = node.constant, !JSONSchemaValueKey.equal(value, constant),
            !failed("const", "\(MessageTemplateText.described(value)) is not the required value \(MessageTemplateText.brief(constant))")
        {
            return false
        }
        if let enumeration = node.enumeration, !enumeration.keys.contains(JSONSchemaValueKey(value)),
            !failed("enum", "\(MessageTemplateText.described(value)) is not one of \(MessageTemplateText.list(enumeration.values))")
        {
            return false
        }
        return valid
    }

    func checkNumber(_ node: JSONSchemaNode, _ value: JSONValue, _ state: inout JSONSchemaValidationState) -> Bool {
        guard let rules = node.numeric, let number = JSONSchemaNumber(value) else { return true }
        var valid = true
        func failed(_ keyword: String, _ message: String) -> Bool {
            valid = false
            return state.fail(rule: keyword, at: JSONSchemaPointer.appending(node.pointer, keyword), message)
        }
        if let limit = rules.minimum, number < limit, !failed("minimum", "\(number) is less than the minimum \(limit)") {
            return false
        }
        if let limit = rules.exclusiveMinimum, number <= limit,
            !failed("exclusiveMinimum", "\(number) is not greater than the exclusive minimum \(limit)")
        {
            return false
        }
        if let limit = rules.maximum, number > limit, !failed("maximum", "\(number) is greater than the maximum \(limit)") {
            return false
        }
        if let limit = rules.exclusiveMaximum, number >= limit,
            !failed("exclusiveMaximum", "\(number) is not less than the exclusive maximum \(limit)")
        {
            return false
        }
        if let step = rules.multipleOf, !number.isMultiple(of: step),
            !failed("multipleOf", "\(number) is not a multiple of \(step)")
        {
            return false
        }
        return valid
    }

    func checkString(_ node: JSONSchemaNode, _ value: JSONValue, _ state: inout JSONSchemaValidationState) -> Bool {
        guard let rules = node.string, case .string(let string) = value else { return true }
        var valid = true
        func failed(_ keyword: String, _ message: String) -> Bool {
            valid = false
            return state.fail(rule: keyword, at: JSONSchemaPointer.appending(node.pointer, keyword), message)
        }
        if rules.minLength != nil || rules.maxLength != nil {
            // Lengths count code points, as the spec says: "é" written as one scalar is 1, an emoji 1.
            let length = string.unicodeScalars.count
            func has() -> String {
                "\(MessageTemplateText.brief(.string(string))) has \(MessageTemplateText.count(length, "character"))"
            }
            if let limit = rules.minLength, length < limit, !failed("minLength", "\(has()), fewer than minLength \(limit)") {
                return false
            }
            if let limit = rules.maxLength, length > limit, !failed("maxLength", "\(has()), more than maxLength \(limit)") {
                return false
            }
        }
        if let pattern = rules.pattern, !pattern.matches(string),
            !failed("pattern", "\(MessageTemplateText.brief(.string(string))) does not match the pattern \(pattern.source)")
        {
            return false
        }
        return valid
    }

    /// `minItems`, `maxItems` and `uniqueItems`.
    func checkArrayBounds(
        _ node: JSONSchemaNode, _ rules: JSONSchemaNode.ArrayRules, _ elements: [JSONValue],
        _ state: inout JSONSchemaValidationState
    ) -> Bool {
        var valid = true
        func failed(_ keyword: String, _ message: String) -> Bool {
            valid = false
            return state.fail(rule: keyword, at: JSONSchemaPointer.appending(node.pointer, keyword), message)
        }
        let count = MessageTemplateText.count(elements.count, "item")
        if let limit = rules.minItems, elements.count < limit, !failed("minItems", "the array has \(count), fewer than minItems \(limit)") {
            return false
        }
        if let limit = rules.maxItems, elements.count > limit, !failed("maxItems", "the array has \(count), more than maxItems \(limit)") {
            return false
        }
        if rules.uniqueItems, elements.count > 1 {
            var firstIndex: [JSONSchemaValueKey: Int] = [:]
            for (offset, element) in elements.enumerated() {
                guard let first = firstIndex.updateValue(offset, forKey: JSONSchemaValueKey(element)) else { continue }
                // One violation names the first pair; listing every duplicate would only repeat it.
                let message = "items \(first) and \(offset) are equal (\(MessageTemplateText.brief(element))); items must be unique"
                if !failed("uniqueItems", message) { return false }
                break
            }
        }
        return valid
    }

    /// `required`, `minProperties`, `maxProperties` and `dependentRequired`.
    func checkObjectBounds(
        _ node: JSONSchemaNode, _ rules: JSONSchemaNode.ObjectRules, _ members: JSONObject,
        _ state: inout JSONSchemaValidationState
    ) -> Bool {
        var valid = true
        func failed(_ keyword: String, _ message: String) -> Bool {
            valid = false
            return state.fail(rule: keyword, at: JSONSchemaPointer.appending(node.pointer, keyword), message)
        }
        // Missing members are reported at the object (the member has no location of its own).
        for name in rules.required where members[name] == nil {
            if !failed("required", "missing required property \(MessageTemplateText.quoted(name))") { return false }
        }
        let count = MessageTemplateText.count(members.count, "property", "properties")
        if let limit = rules.minProperties, members.count < limit,
            !failed("minProperties", "the object has \(count), fewer than minProperties \(limit)")
        {
            return false
        }
        if let limit = rules.maxProperties, members.count > limit,
            !failed("maxProperties", "the object has \(count), more than maxProperties \(limit)")
        {
            return false
        }
        for (name, requires) in rules.dependentRequired where members[name] != nil {
            for other in requires where members[other] == nil {
                if !failed(
                    "dependentRequired",
                    "property \(MessageTemplateText.quoted(name)) requires property \(MessageTemplateText.quoted(other)), which is missing")
                {
                    return false
                }
            }
        }
        return valid
    }
}
