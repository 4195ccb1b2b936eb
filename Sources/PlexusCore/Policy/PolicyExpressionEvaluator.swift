/// Runs a checked expression tree against one set of bindings, charging every step to a budget.
///
/// Cost model (the unit is one node visit):
/// - every node evaluated costs 1;
/// - a string operation costs 1 per 8 UTF-8 bytes it reads or builds (`len / 8 + 1`), charged
///   before any new string is built, so the budget also bounds memory;
/// - copying or scanning a list or map costs 1 per element (per 8 elements for a plain copy);
/// - each element a comprehension visits costs 1 plus its predicate;
/// - a regular expression costs 1 per 8 NFA steps, and compiling a pattern at run time costs
///   10 plus 1 per byte of pattern.
///
/// `&&`, `||`, `?:` and the comprehensions evaluate left to right and stop as soon as the result
/// is known, so `false && x` is false even when `x` would fail; an error met first is the result
/// (CEL's commutative absorption of errors is not implemented).
struct PolicyExpressionEvaluator {
    typealias Node = PolicyExpressionNode

    private let declarations: [String: PolicyType]
    private let bindings: [String: JSONValue]
    /// Comprehension variables, which shadow declared variables of the same name.
    private var locals: [String: JSONValue] = [:]
    let costLimit: Int
    private(set) var cost = 0

    init(declarations: [String: PolicyType], bindings: [String: JSONValue], costLimit: Int) {
        self.declarations = declarations
        self.bindings = bindings
        self.costLimit = costLimit
    }

    // MARK: Budget

    /// Adds `amount` to the cost, or fails when that would pass the limit. Comparing against
    /// `remaining` instead of adding first means no sum can overflow, whatever the limit.
    mutating func charge(_ amount: Int) throws(PolicyExpressionError) {
        guard amount <= remaining else { throw exhausted() }
        cost += amount
    }

    func exhausted() -> PolicyExpressionError {
        PolicyExpressionError(.costExceeded, "evaluation needs more than the limit of \(costLimit) cost units")
    }

    /// What a string operation over `text` costs.
    static func stringCost(_ text: String) -> Int { text.utf8.count / 8 + 1 }

    var remaining: Int { costLimit - cost }

    func failure(_ message: String, at node: Node) -> PolicyExpressionError {
        PolicyExpressionError(.evaluation, message, offset: node.offset)
    }

    /// A string short enough to quote in an error message.
    static func quoted(_ text: String) -> String {
        text.count <= 32 ? "'\(text)'" : "'\(text.prefix(32))…'"
    }

    // MARK: Evaluation

    mutating func evaluate(_ node: Node) throws(PolicyExpressionError) -> JSONValue {
        try charge(1)
        switch node.kind {
        case .literal(let value):
            return value

        case .identifier(let name):
            return try variable(name, at: node)

        case .list(let elements):
            var values: [JSONValue] = []
            values.reserveCapacity(elements.count)
            for element in elements { values.append(try evaluate(element)) }
            return .array(values)

        case .map(let keys, let values):
            var object = JSONObject()
            for (keyNode, valueNode) in zip(keys, values) {
                guard case .string(let key) = try evaluate(keyNode) else {
                    throw failure("map keys must be strings", at: keyNode)
                }
                guard object[key] == nil else { throw failure("duplicate map key \(Self.quoted(key))", at: keyNode) }
                object[key] = try evaluate(valueNode)
            }
            return .object(object)

        case .select(let target, let field):
            let value = try evaluate(target)
            guard case .object(let object) = value else {
                throw failure("cannot select field '\(field)' on \(PolicyType.name(of: value))", at: node)
            }
            guard let selected = object[field] else { throw failure("no such key '\(field)'", at: node) }
            return selected

        case .presence(let target, let field):
            let value = try evaluate(target)
            guard case .object(let object) = value else {
                throw failure("has() cannot test field '\(field)' on \(PolicyType.name(of: value))", at: node)
            }
            return .bool(object[field] != nil)

        case .index(let target, let key):
            return try index(try evaluate(target), try evaluate(key), at: node)

        case .not(let operand):
            let value = try evaluate(operand)
            guard case .bool(let flag) = value else { throw failure("'!' expects bool, got \(PolicyType.name(of: value))", at: node) }
            return .bool(!flag)

        case .negate(let operand):
            switch try evaluate(operand) {
            case .integer(let integer):
                guard integer != .min else { throw failure("integer overflow in '-'", at: node) }
                return .integer(-integer)
            case .double(let double):
                return .double(-double)
            case let other:
                throw failure("'-' expects int or double, got \(PolicyType.name(of: other))", at: node)
            }

        case .and(let operands):
            for operand in operands {
                if try !condition(operand, "&&") { return .bool(false) }
            }
            return .bool(true)

        case .or(let operands):
            for operand in operands {
                if try condition(operand, "||") { return .bool(true) }
            }
            return .bool(false)

        case .conditional(let test, let then, let otherwise):
            return try evaluate(try condition(test, "?:") ? then : otherwise)

        case .binary(let op, let left, let right):
            return try binary(op, try evaluate(left), try evaluate(right), at: node)

        case .builtin(let function, let arguments):
            var values: [JSONValue] = []
            for argument in arguments { values.append(try evaluate(argument)) }
            return try builtin(function, values, at: node)

        case .regexMatch(let target, let regex):
            let value = try evaluate(target)
            guard case .string(let text) = value else {
                throw failure("matches needs a string receiver, got \(PolicyType.name(of: value))", at: node)
            }
            return .bool(try run(regex, on: text, at: node))

        case .comprehension(let quantifier, let range, let variable, let predicate):
            return try comprehension(quantifier, over: try evaluate(range), variable: variable, predicate: predicate, at: node)

        case .call:
            throw failure("internal: expression was not checked", at: node)
        }
    }

    /// A declared variable's value, checked against its declared type at the top level.
    private func variable(_ name: String, at node: Node) throws(PolicyExpressionError) -> JSONValue {
        if let local = locals[name] { return local }
        guard let value = bindings[name] else { throw failure("no value bound for variable '\(name)'", at: node) }
        if let declared = declarations[name], !declared.admits(value) {
            throw failure("variable '\(name)' is declared \(declared) but bound to \(PolicyType.name(of: value))", at: node)
        }
        return value
    }

    /// Evaluates an operand that must be a bool, for the logical operators.
    mutating func condition(_ node: Node, _ operatorName: String) throws(PolicyExpressionError) -> Bool {
        let value = try evaluate(node)
        guard case .bool(let flag) = value else {
            throw failure("'\(operatorName)' expects bool, got \(PolicyType.name(of: value))", at: node)
        }
        return flag
    }

    private mutating func index(_ target: JSONValue, _ key: JSONValue, at node: Node) throws(PolicyExpressionError) -> JSONValue {
        switch (target, key) {
        case (.array(let elements), .integer(let position)):
            guard position >= 0, position < elements.count else {
                throw failure("list index \(position) out of range (size \(elements.count))", at: node)
            }
            return elements[Int(position)]
        case (.object(let object), .string(let name)):
            try charge(Self.stringCost(name))
            guard let value = object[name] else { throw failure("no such key \(Self.quoted(name))", at: node) }
            return value
        default:
            throw failure("cannot index \(PolicyType.name(of: target)) with \(PolicyType.name(of: key))", at: node)
        }
    }

    /// Binds `variable` to each element (or key) of `range` in turn and tests `predicate`.
    private mutating func comprehension(
        _ quantifier: Node.Quantifier, over range: JSONValue, variable: String, predicate: Node, at node: Node
    ) throws(PolicyExpressionError) -> JSONValue {
        let items: [JSONValue]
        switch range {
        case .array(let elements): items = elements
        case .object(let object):
            try charge(object.count / 8 + 1)
            items = object.keys.map { .string($0) }
        default:
            throw failure("\(quantifier.rawValue) needs a list or map, got \(PolicyType.name(of: range))", at: node)
        }
        let shadowed = locals[variable]
        defer { locals[variable] = shadowed }
        var found = 0
        for item in items {
            try charge(1)
            locals[variable] = item
            let holds = try condition(predicate, quantifier.rawValue)
            switch quantifier {
            case .all where !holds: return .bool(false)
            case .exists where holds: return .bool(true)
            case .existsOne where holds:
                found += 1
                if found > 1 { return .bool(false) }
            default: break
            }
        }
        switch quantifier {
        case .all: return .bool(true)
        case .exists: return .bool(false)
        case .existsOne: return .bool(found == 1)
        }
    }
}
