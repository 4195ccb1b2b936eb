/// Checking one field's value against its rules.
extension OriginalTemplate {
    /// Appends the violations of `value` (nil: missing) against `field`. Rules for another type than
    /// the value's are skipped, so a wrong type is one violation rather than several.
    func check(_ field: OriginalTemplateField, _ value: JSONValue?, into violations: inout [MessageTemplateViolation]) {
        let schemaPointer = JSONSchemaPointer.appending("/" + Self.bodyKey, field.name)
        let pointer = JSONSchemaPointer.appending("", field.name)
        func fail(_ rule: String, _ message: String, at dataPointer: String? = nil, schema: String? = nil) {
            violations.append(
                MessageTemplateViolation(
                    pointer: dataPointer ?? pointer, rule: rule, message: message,
                    schemaPointer: schema ?? JSONSchemaPointer.appending(schemaPointer, rule)))
        }
        guard let value else {
            fail("required", "missing required field \(MessageTemplateText.quoted(field.name))", schema: schemaPointer)
            return
        }
        guard field.type.admits(value) else {
            fail("type", "expected \(field.type.rawValue), found \(MessageTemplateText.described(value))")
            return
        }
        if let allowed = field.allowedValues, !allowed.contains(where: { JSONSchemaValueKey.equal($0, value) }) {
            fail("enum", "\(MessageTemplateText.described(value)) is not one of \(MessageTemplateText.list(allowed))")
        }
        switch value {
        case .string(let string):
            let length = string.unicodeScalars.count
            let characters = MessageTemplateText.count(length, "character")
            if let limit = field.minLength, length < limit {
                fail("minLength", "\(MessageTemplateText.brief(value)) has \(characters), fewer than minLength \(limit)")
            }
            if let limit = field.maxLength, length > limit {
                fail("maxLength", "\(MessageTemplateText.brief(value)) has \(characters), more than maxLength \(limit)")
            }
            if let pattern = field.pattern, !pattern.matches(string) {
                fail("pattern", "\(MessageTemplateText.brief(value)) does not match the pattern \(pattern.source)")
            }
        case .integer, .double:
            let number = JSONSchemaNumber(value)!
            // The compiler checked every limit is a number.
            if let limit = field.minimum.flatMap(JSONSchemaNumber.init), number < limit {
                fail("minimum", "\(number) is less than the minimum \(limit)")
            }
            if let limit = field.exclusiveMinimum.flatMap(JSONSchemaNumber.init), number <= limit {
                fail("exclusiveMinimum", "\(number) is not greater than the exclusive minimum \(limit)")
            }
            if let limit = field.maximum.flatMap(JSONSchemaNumber.init), number > limit {
                fail("maximum", "\(number) is greater than the maximum \(limit)")
            }
            if let limit = field.exclusiveMaximum.flatMap(JSONSchemaNumber.init), number >= limit {
                fail("exclusiveMaximum", "\(number) is not less than the exclusive maximum \(limit)")
            }
        case .array(let elements):
            checkArray(field, elements, pointer: pointer, schemaPointer: schemaPointer, into: &violations)
        case .null, .bool, .object:
            break
        }
    }

    private func checkArray(
        _ field: OriginalTemplateField, _ elements: [JSONValue], pointer: String, schemaPointer: String,
        into violations: inout [MessageTemplateViolation]
    ) {
        let count = MessageTemplateText.count(elements.count, "item")
        func fail(_ rule: String, _ message: String) {
            violations.append(
                MessageTemplateViolation(
                    pointer: pointer, rule: rule, message: message, schemaPointer: JSONSchemaPointer.appending(schemaPointer, rule)))
        }
        if let limit = field.minItems, elements.count < limit {
            fail("minItems", "the array has \(count), fewer than minItems \(limit)")
        }
        if let limit = field.maxItems, elements.count > limit {
            fail("maxItems", "the array has \(count), more than maxItems \(limit)")
        }
        if field.uniqueItems {
            var firstIndex: [JSONSchemaValueKey: Int] = [:]
            for (offset, element) in elements.enumerated() {
                if let first = firstIndex.updateValue(offset, forKey: JSONSchemaValueKey(element)) {
                    fail("uniqueItems", "items \(first) and \(offset) are equal (\(MessageTemplateText.brief(element))); items must be unique")
                    break
                }
            }
        }
        guard let items = field.items else { return }
        let itemsPointer = JSONSchemaPointer.appending(schemaPointer, "items")
        for (offset, element) in elements.enumerated() {
            // Items can be many; stop once the report is full rather than build violations to discard.
            if violations.count >= MessageTemplate.maxViolations { return }
            let elementPointer = JSONSchemaPointer.appending(pointer, offset)
            if !items.type.admits(element) {
                violations.append(
                    MessageTemplateViolation(
                        pointer: elementPointer, rule: "type",
                        message: "expected \(items.type.rawValue), found \(MessageTemplateText.described(element))",
                        schemaPointer: JSONSchemaPointer.appending(itemsPointer, "type")))
            } else if let pattern = items.pattern, case .string(let string) = element, !pattern.matches(string) {
                violations.append(
                    MessageTemplateViolation(
                        pointer: elementPointer, rule: "pattern",
                        message: "\(MessageTemplateText.brief(element)) does not match the pattern \(pattern.source)",
                        schemaPointer: JSONSchemaPointer.appending(itemsPointer, "pattern")))
            }
        }
    }
}
