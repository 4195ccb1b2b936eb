/// A JSON Schema (draft 2020-12 subset) compiled for validating many messages.
///
/// Built once when a template is saved (`MessageTemplate` holds one), then used for every message on
/// the topic; validating walks the compiled nodes and never looks at the template text again.
///
/// Validation is bounded whatever the template and the data: at most `maxDepth` schemas deep
/// through `$ref` (recursive templates on deeply nested data), at most `maxEvaluations` schema
/// applications (combinators over shared definitions can otherwise grow exponentially), and at most
/// `maxViolations` reported.
struct JSONSchema: Sendable {
    /// Nested schema applications before giving up with a `$ref` violation. Only a recursive `$ref`
    /// can get this deep (the compiler caps plain nesting lower), and a recursive tree schema takes
    /// about three per two levels of data, so any document the parser accepts (64 levels) fits.
    static let maxDepth = 128
    /// Schema applications one validation may make; far above what a sane template costs on a
    /// megabyte message, far below what would stall a node.
    static let maxEvaluations = 1_000_000

    let nodes: [JSONSchemaNode]

    init(_ document: JSONValue) throws(MessageTemplateError) {
        var compiler = JSONSchemaCompiler(document: document)
        nodes = try compiler.compile()
    }

    /// The violations of `data`, in the order the template states its rules; empty when it is valid.
    func validate(
        _ data: JSONValue, maxViolations: Int, maxEvaluations: Int = Self.maxEvaluations
    ) -> [MessageTemplateViolation] {
        var state = JSONSchemaValidationState(maxViolations: maxViolations, maxEvaluations: maxEvaluations)
        _ = evaluate(0, data, depth: 0, &state)
        return state.violations
    }
}
