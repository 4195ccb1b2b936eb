/// Applying subschemas to the elements of arrays and the members of objects. These recurse (through
/// `evaluate`), so they stay small and leave messages to the non-recursive checks and reports.
extension JSONSchema {
    /// The array keywords: bounds, then `prefixItems`/`items` per element, then `contains`.
    func evaluateArray(
        _ node: JSONSchemaNode, _ value: JSONValue, depth: Int, _ state: inout JSONSchemaValidationState
    ) -> Bool {
        guard let rules = node.array, case .array(let elements) = value else { return true }
        var valid = true
        if !checkArrayBounds(node, rules, elements, &state) {
            valid = false
            if state.shouldStop { return false }
        }
        let prefixCount = rules.prefixItems.count
        let applied = rules.items == nil ? min(prefixCount, elements.count) : elements.count
        for offset in 0..<applied {
            let isPrefix = offset < prefixCount
            state.path.append(.index(offset))
            let passed = apply(
                isPrefix ? rules.prefixItems[offset] : rules.items!, elements[offset],
                via: isPrefix ? "prefixItems" : "items", depth: depth, &state)
            state.path.removeLast()
            if !passed {
                valid = false
                if state.shouldStop { return false }
            }
        }
        if let contains = rules.contains {
            var matches = 0
            for offset in elements.indices {
                state.path.append(.index(offset))
                if probe(contains, elements[offset], depth: depth, &state) { matches += 1 }
                state.path.removeLast()
                if state.stopped { return false }
            }
            if !reportContains(node, rules, matches: matches, of: elements.count, &state) { return false }
        }
        return valid
    }

    /// The object keywords: bounds, then each member (`propertyNames`, `properties`,
    /// `patternProperties`, `additionalProperties`), then `dependentSchemas`.
    func evaluateObject(
        _ node: JSONSchemaNode, _ value: JSONValue, depth: Int, _ state: inout JSONSchemaValidationState
    ) -> Bool {
        guard let rules = node.object, case .object(let members) = value else { return true }
        var valid = true
        if !checkObjectBounds(node, rules, members, &state) {
            valid = false
            if state.shouldStop { return false }
        }
        let perMember =
            !rules.properties.isEmpty || !rules.patternProperties.isEmpty || rules.additionalProperties != nil
            || rules.propertyNames != nil
        if perMember {
            for (name, member) in members {
                state.path.append(.key(name))
                let passed = evaluateMember(rules, name, member, depth: depth, &state)
                state.path.removeLast()
                if !passed {
                    valid = false
                    if state.shouldStop { return false }
                }
            }
        }
        for (name, subschema) in rules.dependentSchemas where members[name] != nil {
            if !evaluate(subschema, value, depth: depth + 1, &state) {
                valid = false
                if state.shouldStop { return false }
            }
        }
        return valid
    }

    /// One member; the path already points at it.
    private func evaluateMember(
        _ rules: JSONSchemaNode.ObjectRules, _ name: String, _ member: JSONValue, depth: Int,
        _ state: inout JSONSchemaValidationState
    ) -> Bool {
        var valid = true
        if let names = rules.propertyNames {
            let allowed = probe(names, .string(name), depth: depth, &state)
            if state.stopped { return false }
            if !allowed {
                valid = false
                if !reportPropertyName(names, name, &state) { return false }
            }
        }
        var matched = false
        if let subschema = rules.properties[name] {
            matched = true
            if !apply(subschema, member, via: "properties", depth: depth, &state) {
                valid = false
                if state.shouldStop { return false }
            }
        }
        for (pattern, subschema) in rules.patternProperties where pattern.matches(name) {
            matched = true
            if !apply(subschema, member, via: "patternProperties", depth: depth, &state) {
                valid = false
                if state.shouldStop { return false }
            }
        }
        if !matched, let additional = rules.additionalProperties,
            !apply(additional, member, via: "additionalProperties", depth: depth, &state)
        {
            valid = false
        }
        return valid
    }
}
