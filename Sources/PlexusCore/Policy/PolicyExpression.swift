/// A compiled policy expression in a subset of CEL, evaluated over message envelopes.
///
/// Policies decide what a node lets through (`topic.startsWith("finance.") && !("auditor" in
/// destination_subject_ids)`), and they may be written by people who are not the node's operator,
/// so the language is small, total and bounded: compiling checks syntax and types against the
/// declared variables once, and each evaluation is a pure function of its bindings that stops
/// with `.costExceeded` rather than run long. Nothing here traps on any input: overflow, division
/// by zero, missing keys and runaway patterns are all errors in the result.
///
/// Runtime values are `JSONValue`: lists are arrays, maps are objects, ints and doubles stay apart.
public struct PolicyExpression: Sendable, Hashable, CustomStringConvertible {
    /// The cost limit used when a caller does not choose one: enough for policies over
    /// envelopes with a few hundred list elements, far below anything a node would notice.
    public static let defaultCostLimit = 10_000

    public let source: String
    /// The variables the expression was checked against; evaluation reads only these.
    public let declarations: [String: PolicyType]
    /// The static type of the result; `dyn` when it depends on undeclared JSON data.
    public let resultType: PolicyType
    let root: PolicyExpressionNode

    /// Parses and type-checks `source`.
    ///
    /// - Parameter declarations: every variable the expression may read, with its type. Use
    ///   `.dyn` (or `.map(.dyn)`) for JSON whose shape is not fixed; reading a name not declared
    ///   here is a type error naming it.
    /// - Throws: `.syntax` for malformed source or a broken limit, `.type` for a misuse of types,
    ///   an unknown name, a wrong argument count or an invalid regular expression literal. The
    ///   error's `offset` points into `source`.
    public init(
        _ source: String, declarations: [String: PolicyType], limits: PolicyExpressionLimits = .default
    ) throws(PolicyExpressionError) {
        let parsed = try PolicyExpressionParser.parse(source, limits: limits)
        let (checked, type) = try PolicyExpressionChecker.check(parsed, declarations: declarations)
        self.source = source
        self.declarations = declarations
        self.resultType = type
        self.root = checked
    }

    public var description: String { source }

    /// Evaluates the expression with `bindings` for its declared variables.
    ///
    /// A binding whose top-level kind does not match its declaration (a `string` bound to an int)
    /// is an evaluation error when it is read; an unread binding is never inspected, and extra
    /// bindings are ignored, so one envelope's bindings can serve every policy.
    ///
    /// `&&`, `||`, `?:` and the list macros evaluate left to right and stop once the result is
    /// known: `false && x` is false even where `x` would fail, but `x || true` fails if `x` does.
    ///
    /// - Parameter costLimit: the most work this evaluation may do. Each node visited costs 1; a
    ///   string operation costs 1 per 8 bytes it reads or builds; scanning a list or map costs 1
    ///   per element; a macro costs 1 per element plus its predicate; a regular expression costs
    ///   1 per 8 automaton steps (at most text length × pattern size), and a pattern that is not
    ///   a literal costs 10 plus its length to compile. Past the limit the result is
    ///   `.costExceeded`, whatever the expression would have returned.
    public func evaluate(_ bindings: [String: JSONValue], costLimit: Int = defaultCostLimit) -> Result<JSONValue, PolicyExpressionError> {
        run(bindings, costLimit: costLimit).result
    }

    /// Evaluates a condition. Callers that authorise with it should treat every error as deny.
    ///
    /// An expression whose static type cannot be bool fails with a `.type` error here, whatever
    /// the bindings; one of type `dyn` fails with `.evaluation` if it yields a non-bool.
    public func evaluateCondition(_ bindings: [String: JSONValue], costLimit: Int = defaultCostLimit) -> Result<Bool, PolicyExpressionError> {
        guard resultType == .bool || resultType == .dyn else {
            return .failure(PolicyExpressionError(.type, "condition must be bool, but the expression yields \(resultType)", offset: 0))
        }
        return evaluate(bindings, costLimit: costLimit).flatMap { value in
            guard case .bool(let flag) = value else {
                return .failure(PolicyExpressionError(.evaluation, "condition yielded \(PolicyType.name(of: value)), not bool", offset: 0))
            }
            return .success(flag)
        }
    }

    /// The result together with the cost spent, for tests and for callers tuning limits.
    func run(_ bindings: [String: JSONValue], costLimit: Int) -> (result: Result<JSONValue, PolicyExpressionError>, cost: Int) {
        var evaluator = PolicyExpressionEvaluator(declarations: declarations, bindings: bindings, costLimit: costLimit)
        do throws(PolicyExpressionError) {
            let value = try evaluator.evaluate(root)
            return (.success(value), evaluator.cost)
        } catch {
            return (.failure(error), evaluator.cost)
        }
    }
}
