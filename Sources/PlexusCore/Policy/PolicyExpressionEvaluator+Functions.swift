/// The built-in functions and methods at run time.
extension PolicyExpressionEvaluator {
    mutating func builtin(
        _ function: PolicyExpressionFunction, _ arguments: [JSONValue], at node: Node
    ) throws(PolicyExpressionError) -> JSONValue {
        switch function {
        case .size:
            switch arguments[0] {
            case .string(let text):
                try charge(Self.stringCost(text))
                return .integer(Int64(text.unicodeScalars.count))
            case .array(let elements): return .integer(Int64(elements.count))
            case .object(let object): return .integer(Int64(object.count))
            case let other: throw failure("size expects a string, list or map, got \(PolicyType.name(of: other))", at: node)
            }

        case .startsWith, .endsWith, .contains, .matches:
            guard case .string(let text) = arguments[0] else {
                throw failure("\(function.rawValue) needs a string receiver, got \(PolicyType.name(of: arguments[0]))", at: node)
            }
            guard case .string(let argument) = arguments[1] else {
                throw failure("\(function.rawValue) expects a string argument, got \(PolicyType.name(of: arguments[1]))", at: node)
            }
            if function == .matches { return .bool(try matchCompilingAtRuntime(text, pattern: argument, at: node)) }
            try charge(Self.stringCost(text) + Self.stringCost(argument))
            // Compared as code points (UTF-8 bytes), as CEL does, not as Swift Characters: a
            // decomposed "e\u{301}" starts with "e". UTF-8 is self-synchronising, so a byte match
            // is a code point match.
            return switch function {
            case .startsWith: .bool(text.utf8.starts(with: argument.utf8))
            case .endsWith: .bool(text.utf8.reversed().starts(with: argument.utf8.reversed()))
            default: .bool(Self.contains(Array(argument.utf8), in: text.utf8))
            }

        case .lowerAscii, .upperAscii:
            guard case .string(let text) = arguments[0] else {
                throw failure("\(function.rawValue) needs a string receiver, got \(PolicyType.name(of: arguments[0]))", at: node)
            }
            try charge(Self.stringCost(text))
            let lower = function == .lowerAscii
            var result = String.UnicodeScalarView()
            for scalar in text.unicodeScalars {
                let shift = lower ? ("A"..."Z").contains(scalar) : ("a"..."z").contains(scalar)
                result.append(shift ? Unicode.Scalar(lower ? scalar.value + 32 : scalar.value - 32)! : scalar)
            }
            return .string(String(result))

        case .int: return .integer(try toInt(arguments[0], at: node))
        case .double: return .double(try toDouble(arguments[0], at: node))
        case .string: return .string(try toString(arguments[0], at: node))
        }
    }

    /// Knuth–Morris–Pratt search: linear in both lengths, so the cost charged (proportional to
    /// them) is the work done whatever the inputs, unlike a naive scan's length × length.
    static func contains(_ needle: [UInt8], in haystack: String.UTF8View) -> Bool {
        guard !needle.isEmpty else { return true }
        var fallback = Array(repeating: 0, count: needle.count)
        var matched = 0
        for index in 1..<needle.count {
            while matched > 0 && needle[index] != needle[matched] { matched = fallback[matched - 1] }
            if needle[index] == needle[matched] { matched += 1 }
            fallback[index] = matched
        }
        matched = 0
        for byte in haystack {
            while matched > 0 && byte != needle[matched] { matched = fallback[matched - 1] }
            if byte == needle[matched] { matched += 1 }
            if matched == needle.count { return true }
        }
        return false
    }

    private mutating func toInt(_ value: JSONValue, at node: Node) throws(PolicyExpressionError) -> Int64 {
        switch value {
        case .integer(let integer):
            return integer
        case .double(let double):
            // Truncates toward zero, as CEL does; the range test is on the truncated value.
            let whole = double.rounded(.towardZero)
            guard whole.isFinite, whole >= -9_223_372_036_854_775_808.0, whole < 9_223_372_036_854_775_808.0 else {
                throw failure("double \(double) is out of int range", at: node)
            }
            return Int64(whole)
        case .string(let text):
            try charge(Self.stringCost(text))
            guard let integer = Int64(text) else { throw failure("cannot convert \(Self.quoted(text)) to int", at: node) }
            return integer
        default:
            throw failure("int() cannot convert \(PolicyType.name(of: value))", at: node)
        }
    }

    private mutating func toDouble(_ value: JSONValue, at node: Node) throws(PolicyExpressionError) -> Double {
        switch value {
        case .integer(let integer):
            return Double(integer)
        case .double(let double):
            return double
        case .string(let text):
            try charge(Self.stringCost(text))
            guard let double = Double(text), double.isFinite else {
                throw failure("cannot convert \(Self.quoted(text)) to a finite double", at: node)
            }
            return double
        default:
            throw failure("double() cannot convert \(PolicyType.name(of: value))", at: node)
        }
    }

    private func toString(_ value: JSONValue, at node: Node) throws(PolicyExpressionError) -> String {
        switch value {
        case .string(let text): text
        case .integer(let integer): String(integer)
        case .double(let double): String(double)
        case .bool(let flag): flag ? "true" : "false"
        default: throw failure("string() cannot convert \(PolicyType.name(of: value))", at: node)
        }
    }

    /// `matches` with a pattern computed at run time: compiling is charged too, and an invalid
    /// pattern is an evaluation error (a literal one was already refused by the checker).
    private mutating func matchCompilingAtRuntime(_ text: String, pattern: String, at node: Node) throws(PolicyExpressionError) -> Bool {
        try charge(10 + min(pattern.utf8.count, 4 * PolicyExpressionRegex.maxPatternLength + 1))
        let regex: PolicyExpressionRegex
        do throws(PolicyExpressionError) {
            regex = try PolicyExpressionRegex(pattern)
        } catch {
            throw failure(error.message, at: node)
        }
        return try run(regex, on: text, at: node)
    }

    /// Runs a compiled pattern within what is left of the budget, then charges the steps it took.
    mutating func run(_ regex: PolicyExpressionRegex, on text: String, at node: Node) throws(PolicyExpressionError) -> Bool {
        // Reading the text into scalars is itself linear in its length.
        try charge(Self.stringCost(text))
        let (stepBudget, overflow) = remaining.multipliedReportingOverflow(by: 8)
        var steps = 0
        guard let matched = regex.matches(text, budget: overflow ? .max : stepBudget, steps: &steps) else {
            throw exhausted()
        }
        try charge(steps / 8)
        return matched
    }
}
