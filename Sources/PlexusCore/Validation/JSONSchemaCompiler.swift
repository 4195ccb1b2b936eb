/// Turns a JSON Schema document into `JSONSchemaNode`s once, when a template is saved.
///
/// Everything a message should not pay for happens here: keyword values are checked (with errors
/// pointing into the template), patterns compiled, `$ref`s resolved to node indices, and templates
/// that could not be validated in bounded time refused (reference cycles, runaway nesting). The
/// validator then only walks indices.
///
/// Compilation is one recursive pass over the document from the root, then a work list of `$ref`s:
/// a reference to a place the pass already compiled reuses that node, and a reference elsewhere
/// (into an unknown keyword, say) compiles the target there and then. Nodes are memoised by their
/// JSON pointer, which is what makes recursive references finite.
struct JSONSchemaCompiler {
    /// How deeply schemas may nest inside one another in the template. Parsed templates already stop
    /// at `JSONLimits.maxDepth` (64) containers; this guards templates built in code, and stays below
    /// `JSONSchema.maxDepth` so that only recursion through `$ref` can reach the validator's limit.
    static let maxNesting = 100

    let document: JSONValue
    var nodes: [JSONSchemaNode] = []
    var nodeAtPointer: [String: Int] = [:]
    var anchors: [String: Int] = [:]
    /// `$ref`s met during the pass: the node holding each, and where the keyword sits in the template.
    var pendingReferences: [(node: Int, keywordPointer: String)] = []
    /// The root `$id`, without any empty fragment, so `$ref`s spelled absolutely against it stay local.
    let rootID: String?

    init(document: JSONValue) {
        self.document = document
        var rootID = document["$id"]?.stringValue
        if rootID?.hasSuffix("#") == true { rootID?.removeLast() }
        self.rootID = rootID
    }

    /// Compiles the whole document; on success the root is node 0.
    mutating func compile() throws(MessageTemplateError) -> [JSONSchemaNode] {
        _ = try compile(document, at: "", nesting: 0)
        try resolveReferences()
        try refuseInPlaceCycles()
        return nodes
    }

    /// Compiles the schema `value` found at `pointer`, or returns the node already compiled there.
    mutating func compile(_ value: JSONValue, at pointer: String, nesting: Int) throws(MessageTemplateError) -> Int {
        if let existing = nodeAtPointer[pointer] { return existing }
        guard nesting <= Self.maxNesting else {
            throw MessageTemplateError(.tooDeep, pointer: pointer, "schemas nest more than \(Self.maxNesting) levels deep")
        }
        let index = nodes.count
        let node = JSONSchemaNode(pointer: pointer)
        // Registered before its keywords are compiled, so a subschema referring back finds it.
        nodes.append(node)
        nodeAtPointer[pointer] = index
        switch value {
        case .bool(let accepts):
            node.rejectsEverything = !accepts
        case .object(let keywords):
            try compileKeywords(keywords, into: node, index: index, nesting: nesting)
        default:
            throw MessageTemplateError(
                .notASchema, pointer: pointer,
                "a schema must be an object or a boolean, found \(MessageTemplateText.described(value))")
        }
        return index
    }

    // MARK: - Keyword value helpers

    /// A subschema under `keyword`, compiled.
    mutating func subschema(_ value: JSONValue, _ pointer: String, nesting: Int) throws(MessageTemplateError) -> Int {
        try compile(value, at: pointer, nesting: nesting + 1)
    }

    /// A non-empty array of subschemas (`allOf`, `anyOf`, `oneOf`, `prefixItems`).
    mutating func subschemaArray(
        _ value: JSONValue, _ keyword: String, _ pointer: String, nesting: Int
    ) throws(MessageTemplateError) -> [Int] {
        guard case .array(let elements) = value, !elements.isEmpty else {
            throw Self.invalid(pointer, "\(keyword) must be a non-empty array of schemas, found \(MessageTemplateText.described(value))")
        }
        var indices: [Int] = []
        for (offset, element) in elements.enumerated() {
            indices.append(try subschema(element, JSONSchemaPointer.appending(pointer, offset), nesting: nesting))
        }
        return indices
    }

    /// An object whose member values are subschemas (`properties`, `$defs`, `dependentSchemas`...).
    mutating func subschemaMap(
        _ value: JSONValue, _ keyword: String, _ pointer: String, nesting: Int
    ) throws(MessageTemplateError) -> [(name: String, node: Int)] {
        guard case .object(let members) = value else {
            throw Self.invalid(pointer, "\(keyword) must be an object of schemas, found \(MessageTemplateText.described(value))")
        }
        var compiled: [(name: String, node: Int)] = []
        for (name, member) in members {
            compiled.append((name, try subschema(member, JSONSchemaPointer.appending(pointer, name), nesting: nesting)))
        }
        return compiled
    }

    static func nonNegativeInteger(_ value: JSONValue, _ keyword: String, _ pointer: String) throws(MessageTemplateError) -> Int {
        if let number = JSONSchemaNumber(value), number.isIntegral, number.doubleValue >= 0 {
            // A limit beyond Int64 (1e30) is integral too, and no real array or string reaches it.
            return number.exactInteger.map { Int(clamping: $0) } ?? .max
        }
        throw Self.invalid(pointer, "\(keyword) must be a non-negative integer, found \(MessageTemplateText.described(value))")
    }

    static func number(_ value: JSONValue, _ keyword: String, _ pointer: String) throws(MessageTemplateError) -> JSONSchemaNumber {
        if let number = JSONSchemaNumber(value) { return number }
        if case .bool = value, keyword.hasPrefix("exclusive") {
            throw Self.invalid(
                pointer,
                "\(keyword) must be a number (the boolean form is from draft 4; in 2020-12 write the limit itself, e.g. \"\(keyword)\": 0)")
        }
        throw Self.invalid(pointer, "\(keyword) must be a number, found \(MessageTemplateText.described(value))")
    }

    static func boolean(_ value: JSONValue, _ keyword: String, _ pointer: String) throws(MessageTemplateError) -> Bool {
        guard case .bool(let flag) = value else {
            throw Self.invalid(pointer, "\(keyword) must be true or false, found \(MessageTemplateText.described(value))")
        }
        return flag
    }

    /// An array of distinct strings (`required`, the lists of `dependentRequired`).
    static func uniqueStrings(_ value: JSONValue, _ keyword: String, _ pointer: String) throws(MessageTemplateError) -> [String] {
        guard case .array(let elements) = value else {
            throw Self.invalid(pointer, "\(keyword) must be an array of property names, found \(MessageTemplateText.described(value))")
        }
        var names: [String] = []
        var seen = Set<String>()
        for (offset, element) in elements.enumerated() {
            guard case .string(let name) = element else {
                throw Self.invalid(
                    JSONSchemaPointer.appending(pointer, offset),
                    "\(keyword) must list property names as strings, found \(MessageTemplateText.described(element))")
            }
            guard seen.insert(name).inserted else {
                throw Self.invalid(JSONSchemaPointer.appending(pointer, offset), "\(keyword) lists \(MessageTemplateText.quoted(name)) twice")
            }
            names.append(name)
        }
        return names
    }

    static func pattern(_ value: JSONValue, _ pointer: String) throws(MessageTemplateError) -> MessageTemplatePattern {
        guard case .string(let source) = value else {
            throw Self.invalid(pointer, "pattern must be a string, found \(MessageTemplateText.described(value))")
        }
        return try Self.compilePattern(source, pointer)
    }

    static func compilePattern(_ source: String, _ pointer: String) throws(MessageTemplateError) -> MessageTemplatePattern {
        guard let compiled = MessageTemplatePattern(source) else {
            throw MessageTemplateError(
                .invalidPattern, pointer: pointer, "\(MessageTemplateText.quoted(source)) is not a valid regular expression")
        }
        return compiled
    }

    static func invalid(_ pointer: String, _ message: String) -> MessageTemplateError {
        MessageTemplateError(.invalidValue, pointer: pointer, message)
    }
}
