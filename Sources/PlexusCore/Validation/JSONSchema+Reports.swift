/// The violations that the recursive evaluation functions report, built out of line so that those
/// functions' stack frames stay small (see `JSONSchema+Evaluation.swift`).
extension JSONSchema {
    /// The depth limit or the evaluation budget: either ends the whole validation.
    @inline(never)
    func reportLimit(_ index: Int, depth: Int, _ state: inout JSONSchemaValidationState) {
        if depth >= Self.maxDepth {
            state.abort(
                rule: "$ref", at: nodes[index].pointer,
                "validation went \(Self.maxDepth) schemas deep through recursive $ref; the data nests too deeply for this template")
        } else {
            state.abort(
                rule: "complexity", at: nodes[index].pointer,
                "validation stopped after \(state.maxEvaluations) schema evaluations; this template is too costly for this message")
        }
    }

    /// A `false` schema, reached through `keyword` when a member or element was applied to it.
    @inline(never)
    func reportFalse(_ index: Int, via keyword: String?, _ state: inout JSONSchemaValidationState) {
        guard let keyword else {
            _ = state.fail(rule: "false", at: nodes[index].pointer, "no value is allowed here (the schema is false)")
            return
        }
        let what: String
        switch state.path.last {
        case .key(let name)?: what = "property \(MessageTemplateText.quoted(name)) is not allowed"
        case .index(let offset)?: what = "an item at index \(offset) is not allowed"
        case nil: what = "no value is allowed"
        }
        _ = state.fail(rule: keyword, at: nodes[index].pointer, "\(what) (\(keyword) is false here)")
    }

    @inline(never)
    func reportAnyOf(_ node: JSONSchemaNode, _ value: JSONValue, _ state: inout JSONSchemaValidationState) -> Bool {
        state.fail(
            rule: "anyOf", at: JSONSchemaPointer.appending(node.pointer, "anyOf"),
            "\(MessageTemplateText.described(value)) matches none of the \(node.anyOf?.count ?? 0) anyOf alternatives")
    }

    /// `first` is -1 when no branch matched; otherwise `second` is the second branch that matched.
    @inline(never)
    func reportOneOf(
        _ node: JSONSchemaNode, _ value: JSONValue, first: Int, second: Int, _ state: inout JSONSchemaValidationState
    ) -> Bool {
        let described = MessageTemplateText.described(value)
        let message =
            first < 0
            ? "\(described) matches none of the \(node.oneOf?.count ?? 0) oneOf alternatives"
            : "\(described) matches oneOf alternatives \(first) and \(second); exactly one must match"
        return state.fail(rule: "oneOf", at: JSONSchemaPointer.appending(node.pointer, "oneOf"), message)
    }

    @inline(never)
    func reportNot(_ node: JSONSchemaNode, _ value: JSONValue, _ state: inout JSONSchemaValidationState) -> Bool {
        state.fail(
            rule: "not", at: JSONSchemaPointer.appending(node.pointer, "not"),
            "\(MessageTemplateText.described(value)) must not match the schema under not")
    }

    /// `contains` with `minContains`/`maxContains`, once the matching items are counted.
    @inline(never)
    func reportContains(
        _ node: JSONSchemaNode, _ rules: JSONSchemaNode.ArrayRules, matches: Int, of count: Int,
        _ state: inout JSONSchemaValidationState
    ) -> Bool {
        var valid = true
        func failed(_ keyword: String, _ message: String) -> Bool {
            valid = false
            return state.fail(rule: keyword, at: JSONSchemaPointer.appending(node.pointer, keyword), message)
        }
        let matching = "\(matches) of the \(MessageTemplateText.count(count, "item")) match contains"
        if let minimum = rules.minContains, matches < minimum {
            if !failed("minContains", "\(matching), fewer than minContains \(minimum)") { return false }
        } else if rules.minContains == nil, matches == 0 {
            if !failed("contains", "no item of the array matches contains") { return false }
        }
        if let maximum = rules.maxContains, matches > maximum,
            !failed("maxContains", "\(matching), more than maxContains \(maximum)")
        {
            return false
        }
        return valid
    }

    @inline(never)
    func reportPropertyName(_ names: Int, _ name: String, _ state: inout JSONSchemaValidationState) -> Bool {
        // Reported at the member, since a name has no pointer of its own.
        state.fail(
            rule: "propertyNames", at: nodes[names].pointer,
            "the property name \(MessageTemplateText.quoted(name)) does not match propertyNames")
    }
}
