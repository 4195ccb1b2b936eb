/// Why a policy expression could not be compiled or evaluated.
///
/// Callers that use an expression as a condition treat every error as "deny"; the kind and the
/// offset are for the person who wrote the policy, so the message says what was expected and what
/// was found.
public struct PolicyExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The source is not a well-formed expression, or breaks a size or nesting limit.
        case syntax
        /// The expression is well formed but misuses a type, names an undeclared variable or an
        /// unknown function, or has an invalid regular expression literal.
        case type
        /// Evaluation failed for these bindings: missing key, wrong dynamic type, division by zero,
        /// integer overflow, index out of range.
        case evaluation
        /// Evaluation needed more work than the caller allowed.
        case costExceeded
    }

    public var kind: Kind
    public var message: String
    /// Offset into the source, counted in Unicode scalars (characters, for ASCII sources), of the
    /// token or sub-expression at fault. Nil when the error has no single place (cost exceeded).
    public var offset: Int?

    public init(_ kind: Kind, _ message: String, offset: Int? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
    }

    public var description: String {
        let label = switch kind {
        case .syntax: "syntax error"
        case .type: "type error"
        case .evaluation: "evaluation error"
        case .costExceeded: "cost limit exceeded"
        }
        if let offset { return "\(label) at \(offset): \(message)" }
        return "\(label): \(message)"
    }
}
