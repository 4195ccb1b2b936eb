/// `$ref` resolution and the refusal of references that would recurse forever.
extension JSONSchemaCompiler {
    /// Resolves every `$ref` to a node index, compiling targets that the first pass did not reach.
    ///
    /// JSON-pointer references go first because compiling their targets can define more anchors and
    /// queue more references; anchor references are resolved once nothing more can be compiled.
    mutating func resolveReferences() throws(MessageTemplateError) {
        var anchorReferences: [(node: Int, name: String, keywordPointer: String)] = []
        while let (node, keywordPointer) = pendingReferences.popLast() {
            let text = nodes[node].reference!.text
            // A fragment is URI text: %-escapes are decoded before it is read as a pointer or a name.
            guard let fragment = JSONSchemaPointer.percentDecoded(try localFragment(of: text, at: keywordPointer)) else {
                throw unresolvable(keywordPointer, text, "its fragment has a malformed %-escape")
            }
            if fragment.isEmpty || fragment.hasPrefix("/") {
                nodes[node].reference!.target = try target(ofPointer: fragment, text: text, at: keywordPointer)
            } else {
                anchorReferences.append((node, fragment, keywordPointer))
            }
        }
        for (node, name, keywordPointer) in anchorReferences {
            guard let target = anchors[name] else {
                let text = nodes[node].reference!.text
                throw unresolvable(keywordPointer, text, "no schema in this template has \"$anchor\": \(MessageTemplateText.quoted(name))")
            }
            nodes[node].reference!.target = target
        }
    }

    /// The fragment (after `#`) of a reference into this template; throws for any other document.
    private func localFragment(of text: String, at pointer: String) throws(MessageTemplateError) -> String {
        if text.hasPrefix("#") { return String(text.dropFirst()) }
        if let rootID, !rootID.isEmpty {
            if text == rootID { return "" }
            if text.hasPrefix(rootID + "#") { return String(text.dropFirst(rootID.count + 1)) }
        }
        throw MessageTemplateError(
            .remoteReference, pointer: pointer,
            "$ref \(MessageTemplateText.quoted(text)) points outside this template, and Plexus never fetches schemas; "
                + "put the schema under $defs and refer to it as \"#/$defs/name\"")
    }

    /// Follows a JSON-pointer fragment through the document and compiles what it finds there.
    private mutating func target(ofPointer fragment: String, text: String, at pointer: String) throws(MessageTemplateError) -> Int {
        guard let tokens = JSONSchemaPointer.tokens(of: fragment) else {
            throw unresolvable(pointer, text, "its fragment is not a valid JSON pointer")
        }
        var value = document
        var canonical = ""
        for token in tokens {
            switch value {
            case .object(let members):
                guard let member = members[token] else {
                    throw unresolvable(
                        pointer, text, "there is no \(MessageTemplateText.quoted(token)) at \(MessageTemplateText.quoted(canonical))")
                }
                value = member
                canonical = JSONSchemaPointer.appending(canonical, token)
            case .array(let elements):
                // RFC 6901 array indices: decimal digits, no leading zeros.
                guard let index = Int(token), index >= 0, index < elements.count, String(index) == token else {
                    throw unresolvable(
                        pointer, text,
                        "\(MessageTemplateText.quoted(token)) is not an index of the array at \(MessageTemplateText.quoted(canonical))")
                }
                value = elements[index]
                canonical = JSONSchemaPointer.appending(canonical, index)
            default:
                throw unresolvable(pointer, text, "\(MessageTemplateText.quoted(canonical)) is not an object or array")
            }
        }
        switch value {
        case .object, .bool:
            return try compile(value, at: canonical, nesting: 0)
        default:
            throw unresolvable(pointer, text, "it points at \(MessageTemplateText.described(value)), not a schema")
        }
    }

    private func unresolvable(_ pointer: String, _ text: String, _ reason: String) -> MessageTemplateError {
        MessageTemplateError(.unresolvableReference, pointer: pointer, "$ref \(MessageTemplateText.quoted(text)) does not resolve: \(reason)")
    }

    /// Refuses a cycle among subschemas applied to the same value (`$ref`, `allOf`, `anyOf`, `oneOf`,
    /// `not`, `if`/`then`/`else`, `dependentSchemas`): `{"$ref": "#"}`, or `#/$defs/a` referring to
    /// `#/$defs/b` referring back. Validation would go round it forever on any message. A cycle that
    /// passes through `properties` or `items` is fine (a tree): each turn descends into the data,
    /// which is finite.
    ///
    /// An iterative depth-first search, so a long chain of definitions cannot exhaust the stack.
    mutating func refuseInPlaceCycles() throws(MessageTemplateError) {
        enum Mark: UInt8 { case unvisited, onPath, done }
        var marks = [Mark](repeating: .unvisited, count: nodes.count)
        for start in nodes.indices where marks[start] == .unvisited {
            var path: [(node: Int, edges: [Int], next: Int)] = [(start, nodes[start].inPlaceSubschemas, 0)]
            marks[start] = .onPath
            while let top = path.last {
                guard top.next < top.edges.count else {
                    marks[top.node] = .done
                    path.removeLast()
                    continue
                }
                let child = top.edges[top.next]
                path[path.count - 1].next += 1
                switch marks[child] {
                case .onPath:
                    throw cycle(from: top.node, to: child)
                case .unvisited:
                    marks[child] = .onPath
                    path.append((child, nodes[child].inPlaceSubschemas, 0))
                case .done:
                    break
                }
            }
        }
    }

    private func cycle(from node: Int, to child: Int) -> MessageTemplateError {
        let target = MessageTemplateText.quoted(nodes[child].pointer)
        if let reference = nodes[node].reference, reference.target == child {
            return MessageTemplateError(
                .referenceCycle, pointer: JSONSchemaPointer.appending(nodes[node].pointer, "$ref"),
                "$ref \(MessageTemplateText.quoted(reference.text)) leads back to the schema at \(target) "
                    + "without descending into the data, so validation would never end")
        }
        return MessageTemplateError(
            .referenceCycle, pointer: nodes[child].pointer,
            "the schema at \(target) applies itself to the same value through $ref, so validation would never end")
    }
}
