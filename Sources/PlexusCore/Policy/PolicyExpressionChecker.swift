/// The static pass: resolves names, checks every operator and call against the declared types,
/// compiles literal regular expressions, and returns the tree the evaluator runs.
///
/// The rule throughout: a combination that can never succeed is an error now; one that might
/// (because a side is `dyn`) is left to evaluation, which checks again.
struct PolicyExpressionChecker {
    typealias Node = PolicyExpressionNode

    /// Declared variables, plus comprehension variables while their predicate is checked.
    private var scope: [String: PolicyType]

    private init(declarations: [String: PolicyType]) {
        scope = declarations
    }

    static func check(_ root: Node, declarations: [String: PolicyType]) throws(PolicyExpressionError) -> (Node, PolicyType) {
        var checker = PolicyExpressionChecker(declarations: declarations)
        return try checker.check(root)
    }

    func typeError(_ message: String, at node: Node) -> PolicyExpressionError {
        PolicyExpressionError(.type, message, offset: node.offset)
    }

    /// `node` again with `kind`, keeping its offset.
    func rebuilt(_ node: Node, _ kind: Node.Kind) -> Node {
        Node(kind, offset: node.offset)
    }

    mutating func check(_ node: Node) throws(PolicyExpressionError) -> (Node, PolicyType) {
        switch node.kind {
        case .literal(let value):
            return (node, Self.literalType(value))

        case .identifier(let name):
            guard let type = scope[name] else { throw typeError("undeclared variable '\(name)'", at: node) }
            return (node, type)

        case .list(let elements):
            var checked: [Node] = []
            var elementType: PolicyType?
            for element in elements {
                let (child, type) = try check(element)
                checked.append(child)
                elementType = elementType.map { $0.joined(with: type) } ?? type
            }
            return (rebuilt(node, .list(checked)), .list(elementType ?? .dyn))

        case .map(let keys, let values):
            var checkedKeys: [Node] = []
            var checkedValues: [Node] = []
            var valueType: PolicyType?
            for (key, value) in zip(keys, values) {
                let (keyNode, keyType) = try check(key)
                guard keyType == .string || keyType == .dyn else {
                    throw typeError("map keys must be strings, got \(keyType)", at: key)
                }
                let (valueNode, type) = try check(value)
                checkedKeys.append(keyNode)
                checkedValues.append(valueNode)
                valueType = valueType.map { $0.joined(with: type) } ?? type
            }
            return (rebuilt(node, .map(keys: checkedKeys, values: checkedValues)), .map(valueType ?? .dyn))

        case .select(let target, let field):
            let (checked, type) = try check(target)
            return (rebuilt(node, .select(checked, field: field)), try selectedType(type, field: field, at: node))

        case .presence(let target, let field):
            let (checked, type) = try check(target)
            _ = try selectedType(type, field: field, at: node)
            return (rebuilt(node, .presence(checked, field: field)), .bool)

        case .index(let target, let key):
            let (checkedTarget, targetType) = try check(target)
            let (checkedKey, keyType) = try check(key)
            let result: PolicyType
            switch targetType {
            case .list(let element):
                guard keyType == .int || keyType == .dyn else { throw typeError("list index must be int, got \(keyType)", at: key) }
                result = element
            case .map(let value):
                guard keyType == .string || keyType == .dyn else { throw typeError("map key must be string, got \(keyType)", at: key) }
                result = value
            case .dyn:
                guard keyType == .int || keyType == .string || keyType == .dyn else {
                    throw typeError("index must be int or string, got \(keyType)", at: key)
                }
                result = .dyn
            default:
                throw typeError("cannot index a value of type \(targetType)", at: node)
            }
            return (rebuilt(node, .index(checkedTarget, checkedKey)), result)

        case .not(let operand):
            let (checked, type) = try check(operand)
            guard type == .bool || type == .dyn else { throw typeError("'!' expects bool, got \(type)", at: node) }
            return (rebuilt(node, .not(checked)), .bool)

        case .negate(let operand):
            let (checked, type) = try check(operand)
            guard type.isNumeric || type == .dyn else { throw typeError("'-' expects int or double, got \(type)", at: node) }
            return (rebuilt(node, .negate(checked)), type)

        case .and(let operands), .or(let operands):
            let isAnd = if case .and = node.kind { true } else { false }
            var checked: [Node] = []
            for operand in operands {
                let (child, type) = try check(operand)
                guard type == .bool || type == .dyn else {
                    throw typeError("'\(isAnd ? "&&" : "||")' expects bool operands, got \(type)", at: operand)
                }
                checked.append(child)
            }
            return (rebuilt(node, isAnd ? .and(checked) : .or(checked)), .bool)

        case .conditional(let condition, let then, let otherwise):
            let (checkedCondition, conditionType) = try check(condition)
            guard conditionType == .bool || conditionType == .dyn else {
                throw typeError("condition of '?:' must be bool, got \(conditionType)", at: condition)
            }
            let (checkedThen, thenType) = try check(then)
            let (checkedOtherwise, otherwiseType) = try check(otherwise)
            return (rebuilt(node, .conditional(checkedCondition, checkedThen, checkedOtherwise)), thenType.joined(with: otherwiseType))

        case .binary(let op, let left, let right):
            let (checkedLeft, leftType) = try check(left)
            let (checkedRight, rightType) = try check(right)
            let type = try binaryType(op, leftType, rightType, at: node)
            return (rebuilt(node, .binary(op, checkedLeft, checkedRight)), type)

        case .call(let name, let target, let arguments):
            return try call(name, target: target, arguments: arguments, at: node)

        case .comprehension(let quantifier, let range, let variable, let predicate):
            let (checkedRange, rangeType) = try check(range)
            let variableType: PolicyType
            switch rangeType {
            case .list(let element): variableType = element
            case .map: variableType = .string
            case .dyn: variableType = .dyn
            default: throw typeError("\(quantifier.rawValue) needs a list or map, got \(rangeType)", at: node)
            }
            let shadowed = scope[variable]
            scope[variable] = variableType
            defer { scope[variable] = shadowed }
            let (checkedPredicate, predicateType) = try check(predicate)
            guard predicateType == .bool || predicateType == .dyn else {
                throw typeError("\(quantifier.rawValue) predicate must be bool, got \(predicateType)", at: predicate)
            }
            let kind = Node.Kind.comprehension(quantifier, range: checkedRange, variable: variable, predicate: checkedPredicate)
            return (rebuilt(node, kind), .bool)

        case .builtin, .regexMatch:
            // Only the checker creates these, and it never checks its own output.
            throw typeError("internal: expression checked twice", at: node)
        }
    }

    static func literalType(_ value: JSONValue) -> PolicyType {
        switch value {
        case .null: .null
        case .bool: .bool
        case .integer: .int
        case .double: .double
        case .string: .string
        case .array: .list(.dyn)
        case .object: .map(.dyn)
        }
    }

    private func selectedType(_ type: PolicyType, field: String, at node: Node) throws(PolicyExpressionError) -> PolicyType {
        switch type {
        case .map(let value): return value
        case .dyn: return .dyn
        default: throw typeError("cannot select field '\(field)' on \(type)", at: node)
        }
    }

    private func binaryType(
        _ op: Node.BinaryOperator, _ left: PolicyType, _ right: PolicyType, at node: Node
    ) throws(PolicyExpressionError) -> PolicyType {
        let eitherDyn = left == .dyn || right == .dyn
        func mismatch(_ verb: String) -> PolicyExpressionError {
            typeError("'\(op.rawValue)' cannot \(verb) \(left) and \(right)", at: node)
        }
        switch op {
        case .add:
            switch (left, right) {
            case (.int, .int): return .int
            case (.string, .string): return .string
            case (.list(let a), .list(let b)): return .list(a.joined(with: b))
            case _ where left.isNumeric && right.isNumeric: return .double
            case _ where eitherDyn && Self.isAddable(left) && Self.isAddable(right): return .dyn
            default: throw mismatch("add")
            }
        case .subtract, .multiply, .divide:
            if left == .int && right == .int { return .int }
            if left.isNumeric && right.isNumeric { return .double }
            if eitherDyn && (left.isNumeric || left == .dyn) && (right.isNumeric || right == .dyn) { return .dyn }
            throw mismatch("combine")
        case .remainder:
            guard (left == .int || left == .dyn) && (right == .int || right == .dyn) else { throw mismatch("take the remainder of") }
            return eitherDyn ? .dyn : .int
        case .equal, .notEqual:
            guard left.isComparableForEquality(with: right) else { throw mismatch("compare") }
            return .bool
        case .less, .lessEqual, .greater, .greaterEqual:
            let ordered = (left.isNumeric || left == .dyn) && (right.isNumeric || right == .dyn)
                || (left == .string || left == .dyn) && (right == .string || right == .dyn)
            guard ordered else { throw mismatch("order") }
            return .bool
        case .in:
            switch right {
            case .list(let element):
                guard left.isComparableForEquality(with: element) else {
                    throw typeError("'in' cannot look for \(left) in \(right)", at: node)
                }
            case .map:
                guard left == .string || left == .dyn else { throw typeError("'in' on a map needs a string key, got \(left)", at: node) }
            case .dyn:
                break
            default:
                throw typeError("'in' needs a list or map on the right, got \(right)", at: node)
            }
            return .bool
        }
    }

    private static func isAddable(_ type: PolicyType) -> Bool {
        switch type {
        case .int, .double, .string, .list, .dyn: true
        default: false
        }
    }
}
