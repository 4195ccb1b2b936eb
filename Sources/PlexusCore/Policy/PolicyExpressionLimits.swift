/// How much one policy expression may ask of the compiler.
///
/// Policies may come from tenants we do not fully trust, and the compiler, checker and evaluator
/// all recurse over the expression tree, so every dimension that drives recursion or memory is
/// bounded here and rejected as a syntax error before any deep work starts. The runtime cost bound
/// is separate: it is passed to each evaluation.
public struct PolicyExpressionLimits: Sendable, Hashable {
    /// The most Unicode scalars the source may hold.
    public var maxSourceLength: Int
    /// The deepest the parser may nest (parentheses, unary operators, brackets) and the tallest
    /// the resulting tree may be. `a || b || c` chains are flat and count once.
    public var maxDepth: Int
    /// The most nodes the tree may hold.
    public var maxNodes: Int

    public init(maxSourceLength: Int = 4096, maxDepth: Int = 64, maxNodes: Int = 1024) {
        self.maxSourceLength = maxSourceLength
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    public static let `default` = PolicyExpressionLimits()
}
