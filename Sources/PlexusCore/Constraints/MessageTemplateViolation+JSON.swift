extension MessageTemplateViolation {
    /// As listed in a refusal's `policy_decision.violations`.
    public var json: JSONValue {
        ["pointer": .string(pointer), "rule": .string(rule), "message": .string(message), "schema_pointer": .string(schemaPointer)]
    }
}
