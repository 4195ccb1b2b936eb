import PlexusSim
import PlexusYAML
import Yams

/// Reads a scenario's `assertions:` list of `metric op value` lines. Assertions are strings rather
/// than mappings because they read like the report they are checked against (`false_dead == 0`);
/// a value may carry a time unit (`1s`, `500ms`), converted to seconds as the metrics are.
enum ScenarioAssertionReader {
    static let operatorCharacters: Set<Character> = ["<", ">", "=", "!"]

    static func read(_ root: inout YAMLMapping) throws(ConfigurationError) -> [Scenario.Assertion] {
        guard let elements = try root.sequence("assertions") else { return [] }
        var assertions: [Scenario.Assertion] = []
        for (index, element) in elements.enumerated() {
            let key = root.elementPath("assertions", index)
            guard case .scalar(let scalar) = element else {
                throw ConfigurationError(key: key, line: element.mark?.line,
                                         message: "must be a 'metric op value' string, got \(YAMLMapping.shape(element))")
            }
            assertions.append(try parse(scalar.string, key: key, line: element.mark?.line))
        }
        return assertions
    }

    /// `join_visible_p99 <= 1s` → metric, op, value in seconds. Spaces around the operator are optional.
    static func parse(_ text: String, key: String, line: Int?) throws(ConfigurationError) -> Scenario.Assertion {
        func fail(_ message: String) -> ConfigurationError {
            ConfigurationError(key: key, line: line, message: "\(message) in '\(text)'")
        }
        let ops = Scenario.Assertion.Op.allCases.map(\.rawValue).joined(separator: " ")
        guard let opStart = text.firstIndex(where: { operatorCharacters.contains($0) }) else {
            throw fail("expected 'metric op value' with op one of \(ops)")
        }
        let opEnd = text[opStart...].firstIndex { !operatorCharacters.contains($0) } ?? text.endIndex
        let metric = String(text[..<opStart]).filter { $0 != " " && $0 != "\t" }
        let opText = String(text[opStart..<opEnd])
        let valueText = String(text[opEnd...]).filter { $0 != " " && $0 != "\t" }
        guard !metric.isEmpty, metric.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }),
              String(text[..<opStart]).split(whereSeparator: { $0 == " " || $0 == "\t" }).count == 1 else {
            throw fail("the metric must be one name of letters, digits, '_' and '.'")
        }
        guard let op = Scenario.Assertion.Op(rawValue: opText) else {
            throw fail("unknown operator '\(opText)' (known: \(ops))")
        }
        let value: Double
        if let number = YAMLScalar.number(valueText) {
            value = number
        } else if let duration = YAMLScalar.duration(valueText, allowNegative: true) {
            value = YAMLScalar.seconds(duration)
        } else {
            throw fail("the value must be a number, optionally with a time unit (500ms, 1s), got '\(valueText)'")
        }
        return Scenario.Assertion(metric: metric, op: op, value: value)
    }
}
