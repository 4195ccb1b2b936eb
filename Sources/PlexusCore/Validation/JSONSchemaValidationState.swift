/// What one validation accumulates while it walks the compiled schema: where in the data it is,
/// what failed, and whether to keep going.
struct JSONSchemaValidationState {
    /// The path to the value being validated; rendered as a pointer only when something fails.
    var path: [JSONSchemaPointer.Component] = []
    var violations: [MessageTemplateViolation] = []
    let maxViolations: Int
    /// Greater than zero while trying a subschema only for its verdict (an `anyOf` branch, `not`, `if`,
    /// `contains`): failures there are not violations, and the first one settles the answer.
    var probing = 0
    var evaluations = 0
    let maxEvaluations: Int
    /// Set when the violation cap or the evaluation budget is reached: everything unwinds.
    var stopped = false

    init(maxViolations: Int, maxEvaluations: Int) {
        self.maxViolations = maxViolations
        self.maxEvaluations = maxEvaluations
    }

    /// Whether a failure just seen ends the current schema's evaluation (probing needs only a verdict).
    var shouldStop: Bool { stopped || probing > 0 }

    /// Records a failed rule at the current path. Returns whether to go on checking other rules.
    /// The pointer and message are built only when the violation is kept: a failing `anyOf` branch
    /// costs no strings.
    mutating func fail(
        rule: String, at schemaPointer: @autoclosure () -> String, _ message: @autoclosure () -> String
    ) -> Bool {
        if stopped || probing > 0 { return false }
        violations.append(
            MessageTemplateViolation(
                pointer: JSONSchemaPointer.render(path), rule: rule, message: message(), schemaPointer: schemaPointer()))
        if violations.count >= maxViolations { stopped = true }
        return !stopped
    }

    /// Records a condition that ends the whole validation (depth or budget), even while probing: the
    /// verdict would otherwise be a guess.
    mutating func abort(rule: String, at schemaPointer: String, _ message: String) {
        guard !stopped else { return }
        violations.append(
            MessageTemplateViolation(
                pointer: JSONSchemaPointer.render(path), rule: rule, message: message, schemaPointer: schemaPointer))
        stopped = true
    }
}
