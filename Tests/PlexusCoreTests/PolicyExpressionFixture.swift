@testable import PlexusCore

/// Declarations and bindings shaped like an envelope, shared by the policy expression tests.
enum PolicyExpressionFixture {
    static let declarations: [String: PolicyType] = [
        "topic": .string,
        "destination_subject_ids": .list(.string),
        "source_subject_id": .string,
        "message_type": .string,
        "data": .dyn,
        "metadata": .map(.dyn),
        "count": .int,
        "ratio": .double,
        "flag": .bool,
        "tags": .list(.string),
        "scores": .list(.int),
        "text": .string,
    ]

    static let bindings: [String: JSONValue] = [
        "topic": "finance.payments.eu",
        "destination_subject_ids": ["alice", "bob"],
        "source_subject_id": "svc-billing",
        "message_type": "payment.created",
        "data": [
            "amount": 1250,
            "currency": "EUR",
            "rate": 0.25,
            "note": nil,
            "user": ["name": "Ada", "roles": ["admin", "ops"], "age": 36],
            "items": [["sku": "A1", "qty": 2], ["sku": "B2", "qty": 0]],
        ],
        "metadata": ["priority": "high", "retries": 3],
        "count": 7,
        "ratio": 0.5,
        "flag": true,
        "tags": ["a", "b", "c"],
        "scores": [1, 2, 3],
        "text": "hello world",
    ]

    static func compile(_ source: String) throws(PolicyExpressionError) -> PolicyExpression {
        try PolicyExpression(source, declarations: declarations)
    }

    /// The value of `source`, throwing on compile or evaluation errors.
    static func value(
        _ source: String, _ bindings: [String: JSONValue] = bindings, costLimit: Int = PolicyExpression.defaultCostLimit
    ) throws -> JSONValue {
        try compile(source).evaluate(bindings, costLimit: costLimit).get()
    }

    /// The compile error for `source`, or nil if it compiles.
    static func compileError(_ source: String, declarations: [String: PolicyType] = declarations) -> PolicyExpressionError? {
        do throws(PolicyExpressionError) {
            _ = try PolicyExpression(source, declarations: declarations)
            return nil
        } catch {
            return error
        }
    }

    /// The evaluation error for `source` (which must compile), or nil if it evaluates.
    static func evaluationError(
        _ source: String, _ bindings: [String: JSONValue] = bindings, costLimit: Int = PolicyExpression.defaultCostLimit
    ) throws -> PolicyExpressionError? {
        guard case .failure(let error) = try compile(source).evaluate(bindings, costLimit: costLimit) else { return nil }
        return error
    }

    /// The cost an evaluation spent, whether it succeeded or not.
    static func cost(_ source: String, _ bindings: [String: JSONValue] = bindings, costLimit: Int = PolicyExpression.defaultCostLimit) throws -> Int {
        try compile(source).run(bindings, costLimit: costLimit).cost
    }
}
