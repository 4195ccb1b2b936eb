/// Reading a schema's shape for `MessageTemplate.choiceField`.
extension JSONSchema {
    /// How many bare `$ref`s are followed before giving up (a chain longer than this is not a
    /// simple choice anyway).
    static let maxReferenceHops = 8

    /// The one property the root declares and the values its schema enumerates (or `true`/`false`
    /// for a boolean), before checking them against the whole schema.
    func choiceCandidate(maxValues: Int) -> (name: String, values: [JSONValue])? {
        guard let root = resolved(0), !root.rejectsEverything, let object = root.object,
            object.properties.count == 1, let (name, index) = object.properties.first
        else { return nil }
        if let types = root.types, !types.contains(.object) { return nil }
        guard let field = resolved(index), !field.rejectsEverything else { return nil }
        if let enumeration = field.enumeration {
            let values = enumeration.values
            return !values.isEmpty && values.count <= maxValues ? (name, values) : nil
        }
        if let constant = field.constant { return (name, [constant]) }
        return field.types == .boolean ? (name, [true, false]) : nil
    }

    /// The node at `index`, following a `$ref` when that is all the node says.
    private func resolved(_ index: Int) -> JSONSchemaNode? {
        var node = nodes[index]
        for _ in 0...Self.maxReferenceHops {
            guard let reference = node.reference, reference.target >= 0, node.types == nil, node.enumeration == nil,
                node.constant == nil, node.object == nil
            else { return node }
            node = nodes[reference.target]
        }
        return nil
    }
}
