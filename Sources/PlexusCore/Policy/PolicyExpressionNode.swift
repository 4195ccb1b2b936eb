/// A node of a policy expression tree, as parsed and then as resolved by the checker.
///
/// The parser produces `call` for every function or method; the checker replaces each with a
/// `builtin` (or a `regexMatch` when the pattern is a literal compiled once), so evaluation never
/// looks a name up. `offset` is where an error about this node points.
struct PolicyExpressionNode: Sendable, Hashable {
    indirect enum Kind: Sendable, Hashable {
        case literal(JSONValue)
        case identifier(String)
        case list([PolicyExpressionNode])
        /// Keys and values in source order, as two arrays of the same length.
        case map(keys: [PolicyExpressionNode], values: [PolicyExpressionNode])
        /// `a.b`
        case select(PolicyExpressionNode, field: String)
        /// `has(a.b)`: whether the map `a` has the key `b`.
        case presence(PolicyExpressionNode, field: String)
        /// `a[i]`
        case index(PolicyExpressionNode, PolicyExpressionNode)
        case not(PolicyExpressionNode)
        case negate(PolicyExpressionNode)
        case binary(BinaryOperator, PolicyExpressionNode, PolicyExpressionNode)
        /// `a && b && c`, kept flat so long chains add no depth; evaluated left to right.
        case and([PolicyExpressionNode])
        /// `a || b || c`, kept flat; evaluated left to right.
        case or([PolicyExpressionNode])
        case conditional(PolicyExpressionNode, PolicyExpressionNode, PolicyExpressionNode)
        /// `name(args)` or `target.name(args)`, before the checker resolves it.
        case call(String, target: PolicyExpressionNode?, arguments: [PolicyExpressionNode])
        /// A resolved function; for methods the receiver is the first argument.
        case builtin(PolicyExpressionFunction, [PolicyExpressionNode])
        /// `s.matches("literal")` with the pattern compiled when the expression was.
        case regexMatch(PolicyExpressionNode, PolicyExpressionRegex)
        /// `range.all(variable, predicate)` and friends.
        case comprehension(Quantifier, range: PolicyExpressionNode, variable: String, predicate: PolicyExpressionNode)

        var children: [PolicyExpressionNode] {
            switch self {
            case .literal, .identifier: []
            case .list(let elements), .and(let elements), .or(let elements), .builtin(_, let elements): elements
            case .map(let keys, let values): keys + values
            case .select(let target, _), .presence(let target, _), .not(let target), .negate(let target),
                 .regexMatch(let target, _):
                [target]
            case .index(let a, let b), .binary(_, let a, let b): [a, b]
            case .conditional(let a, let b, let c): [a, b, c]
            case .call(_, let target, let arguments): (target.map { [$0] } ?? []) + arguments
            case .comprehension(_, let range, _, let predicate): [range, predicate]
            }
        }
    }

    enum BinaryOperator: String, Sendable, Hashable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
        case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
        case `in` = "in"
    }

    enum Quantifier: String, Sendable, Hashable {
        case all, exists
        case existsOne = "exists_one"
    }

    var kind: Kind
    var offset: Int
    /// Height of the subtree (a leaf is 1): the recursion depth the checker and evaluator need.
    var height: Int

    init(_ kind: Kind, offset: Int) {
        self.kind = kind
        self.offset = offset
        self.height = 1 + (kind.children.map(\.height).max() ?? 0)
    }
}
