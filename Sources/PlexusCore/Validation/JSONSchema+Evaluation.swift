/// Applying compiled schemas to a value: the walk, `$ref` and the combinators.
///
/// Every check returns whether the value passed. When it fails, `state.fail` records a violation
/// (unless probing) and says whether to keep checking the remaining rules, so one pass collects every
/// violation up to the cap, while a probe stops at the first.
///
/// The functions that recurse (here and in `JSONSchema+Containers.swift`) are kept small and build no
/// messages themselves: a recursive template on deep data stacks up their frames, so messages are
/// built in the non-recursive checks and `report…` functions, whose frames are gone before the next
/// level starts.
extension JSONSchema {
    func evaluate(_ index: Int, _ value: JSONValue, depth: Int, _ state: inout JSONSchemaValidationState) -> Bool {
        if state.stopped { return false }
        state.evaluations += 1
        guard state.evaluations <= state.maxEvaluations, depth < Self.maxDepth else {
            reportLimit(index, depth: depth, &state)
            return false
        }
        let node = nodes[index]
        if node.rejectsEverything {
            reportFalse(index, via: nil, &state)
            return false
        }

        var valid = true
        if let reference = node.reference, !evaluate(reference.target, value, depth: depth + 1, &state) {
            valid = false
            if state.shouldStop { return false }
        }
        if !checkKind(node, value, &state) {
            valid = false
            if state.shouldStop { return false }
        }
        var passed = true
        switch value {
        case .integer, .double: if node.numeric != nil { passed = checkNumber(node, value, &state) }
        case .string: if node.string != nil { passed = checkString(node, value, &state) }
        case .array: if node.array != nil { passed = evaluateArray(node, value, depth: depth, &state) }
        case .object: if node.object != nil { passed = evaluateObject(node, value, depth: depth, &state) }
        case .null, .bool: break
        }
        if !passed {
            valid = false
            if state.shouldStop { return false }
        }
        if node.hasCombinators, !evaluateCombinators(node, value, depth: depth, &state) { valid = false }
        return valid
    }

    /// Applies a subschema to a member or element (the path already points at it). A `false` there is
    /// reported under the keyword that applied it: `additionalProperties: false` refusing a member
    /// reads better as rule `additionalProperties` than as rule `false`.
    func apply(
        _ index: Int, _ value: JSONValue, via keyword: String, depth: Int, _ state: inout JSONSchemaValidationState
    ) -> Bool {
        if nodes[index].rejectsEverything {
            reportFalse(index, via: keyword, &state)
            return false
        }
        return evaluate(index, value, depth: depth + 1, &state)
    }

    /// Whether `value` passes `index` (a combinator branch, `not`, `if`, `contains`), recording nothing.
    func probe(_ index: Int, _ value: JSONValue, depth: Int, _ state: inout JSONSchemaValidationState) -> Bool {
        state.probing += 1
        defer { state.probing -= 1 }
        return evaluate(index, value, depth: depth + 1, &state)
    }

    /// `allOf`, `anyOf`, `oneOf`, `not` and `if`/`then`/`else`.
    private func evaluateCombinators(
        _ node: JSONSchemaNode, _ value: JSONValue, depth: Int, _ state: inout JSONSchemaValidationState
    ) -> Bool {
        var valid = true
        // allOf reports its branches' own violations: each branch is a requirement in its own right.
        for branch in node.allOf where !evaluate(branch, value, depth: depth + 1, &state) {
            valid = false
            if state.shouldStop { return false }
        }
        // anyOf and oneOf report once, at the combinator: listing why every branch failed would bury
        // the one the sender meant under the ones they did not.
        if let branches = node.anyOf {
            var matched = false
            for branch in branches where probe(branch, value, depth: depth, &state) {
                matched = true
                break
            }
            if state.stopped { return false }
            if !matched {
                valid = false
                if !reportAnyOf(node, value, &state) { return false }
            }
        }
        if let branches = node.oneOf {
            var first = -1
            var second = -1
            for (offset, branch) in branches.enumerated() where probe(branch, value, depth: depth, &state) {
                if first < 0 {
                    first = offset
                } else {
                    second = offset
                    break
                }
            }
            if state.stopped { return false }
            if first < 0 || second >= 0 {
                valid = false
                if !reportOneOf(node, value, first: first, second: second, &state) { return false }
            }
        }
        if let negated = node.not {
            let matched = probe(negated, value, depth: depth, &state)
            if state.stopped { return false }
            if matched {
                valid = false
                if !reportNot(node, value, &state) { return false }
            }
        }
        if let conditional = node.conditional {
            let holds = probe(conditional.condition, value, depth: depth, &state)
            if state.stopped { return false }
            // Violations of then/else are reported as their own rules, at their own schema pointers.
            if let branch = holds ? conditional.then : conditional.otherwise,
                !evaluate(branch, value, depth: depth + 1, &state)
            {
                valid = false
            }
        }
        return valid
    }
}
