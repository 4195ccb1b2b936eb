/// One compiled schema: the keywords of one schema object (or a boolean schema), with every
/// subschema replaced by its index in `JSONSchema.nodes`.
///
/// Subschemas are indices into one array rather than nested values so that a `$ref` can point
/// anywhere, including back up to an ancestor (recursive schemas such as trees), without reference
/// cycles or re-resolving anything per message. Keywords are grouped by the kind of value they
/// constrain so the validator skips a whole group when the value is of another kind.
///
/// A class so that the validator, which recurses once per nested schema, holds one pointer per
/// level instead of a copy of every keyword (unoptimised builds copy structs into each frame, and
/// 512 KB thread stacks then overflow on a recursive template well inside the depth limit).
final class JSONSchemaNode:
    // Safe to share: only JSONSchemaCompiler mutates a node, while it builds the JSONSchema; once
    // compiled, the nodes are reachable only through JSONSchema's `let` array and never written again.
    @unchecked Sendable
{
    /// Where this schema sits in the template, as a JSON pointer; rules report `pointer/keyword`.
    let pointer: String
    /// The boolean schema `false`, or `{"not": {}}` by another name: nothing validates.
    var rejectsEverything = false

    var reference: Reference?
    var types: JSONSchemaTypeSet?
    var constant: JSONValue?
    var enumeration: Enumeration?
    var numeric: NumericRules?
    var string: StringRules?
    var array: ArrayRules?
    var object: ObjectRules?
    var allOf: [Int] = []
    var anyOf: [Int]?
    var oneOf: [Int]?
    var not: Int?
    var conditional: Conditional?

    init(pointer: String) {
        self.pointer = pointer
    }

    /// `$ref`: the text as written (for messages) and the node it resolved to.
    struct Reference: Sendable {
        var text: String
        /// Filled in once references are resolved, after the whole template has been compiled.
        var target: Int = -1
    }

    struct Enumeration: Sendable {
        var values: [JSONValue]
        var keys: Set<JSONSchemaValueKey>
    }

    struct NumericRules: Sendable {
        var minimum: JSONSchemaNumber?
        var maximum: JSONSchemaNumber?
        var exclusiveMinimum: JSONSchemaNumber?
        var exclusiveMaximum: JSONSchemaNumber?
        var multipleOf: JSONSchemaNumber?
    }

    struct StringRules: Sendable {
        var minLength: Int?
        var maxLength: Int?
        var pattern: MessageTemplatePattern?
    }

    struct ArrayRules: Sendable {
        var prefixItems: [Int] = []
        /// Applies to the elements after `prefixItems` (2020-12 semantics).
        var items: Int?
        var minItems: Int?
        var maxItems: Int?
        var uniqueItems = false
        var contains: Int?
        /// Meaningful only with `contains`; when absent the spec's default of 1 applies.
        var minContains: Int?
        var maxContains: Int?
    }

    struct ObjectRules: Sendable {
        var properties: [String: Int] = [:]
        var patternProperties: [(pattern: MessageTemplatePattern, node: Int)] = []
        /// Applies to members named neither in `properties` nor matched by `patternProperties`.
        var additionalProperties: Int?
        var required: [String] = []
        var minProperties: Int?
        var maxProperties: Int?
        var propertyNames: Int?
        var dependentRequired: [(name: String, requires: [String])] = []
        var dependentSchemas: [(name: String, node: Int)] = []
    }

    struct Conditional: Sendable {
        var condition: Int
        var then: Int?
        var otherwise: Int?
    }

    /// Whether any of `allOf`, `anyOf`, `oneOf`, `not`, `if` is present (most schemas have none).
    var hasCombinators: Bool {
        !allOf.isEmpty || anyOf != nil || oneOf != nil || not != nil || conditional != nil
    }

    /// The subschemas applied to the same value this schema is applied to (as opposed to its members
    /// or elements). A cycle through these edges would recurse forever on any message, so the
    /// compiler refuses one.
    var inPlaceSubschemas: [Int] {
        var nodes: [Int] = []
        if let reference { nodes.append(reference.target) }
        nodes += allOf
        nodes += anyOf ?? []
        nodes += oneOf ?? []
        if let not { nodes.append(not) }
        if let conditional {
            nodes.append(conditional.condition)
            if let then = conditional.then { nodes.append(then) }
            if let otherwise = conditional.otherwise { nodes.append(otherwise) }
        }
        if let object { nodes += object.dependentSchemas.map(\.node) }
        return nodes
    }
}
