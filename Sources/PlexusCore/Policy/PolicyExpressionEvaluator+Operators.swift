/// Arithmetic, comparison, equality and membership on runtime values.
///
/// Integers stay integers and overflow is an error, never a trap or a wrap. An int meeting a
/// double is widened, so `1 + 0.5` is `1.5` and `1 == 1.0` is true (CEL proper refuses mixed
/// arithmetic; JSON producers drop `.0` too freely for that to be useful here). A double result
/// that is not finite is an error, because JSON cannot carry it.
extension PolicyExpressionEvaluator {
    /// Deepest nesting of lists and maps that equality will walk.
    static let maxEqualityDepth = 128

    mutating func binary(
        _ op: Node.BinaryOperator, _ left: JSONValue, _ right: JSONValue, at node: Node
    ) throws(PolicyExpressionError) -> JSONValue {
        switch op {
        case .equal: return .bool(try equals(left, right, depth: 0, at: node))
        case .notEqual: return .bool(try !equals(left, right, depth: 0, at: node))
        case .less, .lessEqual, .greater, .greaterEqual: return .bool(try compare(op, left, right, at: node))
        case .in: return .bool(try contains(left, in: right, at: node))
        case .add, .subtract, .multiply, .divide, .remainder: return try arithmetic(op, left, right, at: node)
        }
    }

    private func mismatch(_ op: Node.BinaryOperator, _ left: JSONValue, _ right: JSONValue, at node: Node) -> PolicyExpressionError {
        failure("'\(op.rawValue)' cannot be applied to \(PolicyType.name(of: left)) and \(PolicyType.name(of: right))", at: node)
    }

    private mutating func arithmetic(
        _ op: Node.BinaryOperator, _ left: JSONValue, _ right: JSONValue, at node: Node
    ) throws(PolicyExpressionError) -> JSONValue {
        switch (left, right) {
        case (.integer(let a), .integer(let b)):
            let (result, overflow): (Int64, Bool)
            switch op {
            case .add: (result, overflow) = a.addingReportingOverflow(b)
            case .subtract: (result, overflow) = a.subtractingReportingOverflow(b)
            case .multiply: (result, overflow) = a.multipliedReportingOverflow(by: b)
            case .divide, .remainder:
                guard b != 0 else { throw failure(op == .divide ? "division by zero" : "modulus by zero", at: node) }
                (result, overflow) = op == .divide ? a.dividedReportingOverflow(by: b) : a.remainderReportingOverflow(dividingBy: b)
            default: throw mismatch(op, left, right, at: node)
            }
            guard !overflow else { throw failure("integer overflow in '\(op.rawValue)'", at: node) }
            return .integer(result)
        case (.string(let a), .string(let b)) where op == .add:
            try charge(a.utf8.count / 8 + b.utf8.count / 8 + 1)
            return .string(a + b)
        case (.array(let a), .array(let b)) where op == .add:
            try charge((a.count + b.count) / 8 + 1)
            return .array(a + b)
        default:
            guard op != .remainder, let a = left.doubleValue, let b = right.doubleValue else {
                throw mismatch(op, left, right, at: node)
            }
            let result: Double = switch op {
            case .add: a + b
            case .subtract: a - b
            case .multiply: a * b
            default: a / b
            }
            guard result.isFinite else { throw failure("'\(op.rawValue)' produced a double that is not finite", at: node) }
            return .double(result)
        }
    }

    /// JSON equality: numbers compare by value across int and double, maps ignore key order,
    /// values of different kinds are unequal (not an error), so `x == null` is always answerable.
    mutating func equals(_ left: JSONValue, _ right: JSONValue, depth: Int, at node: Node) throws(PolicyExpressionError) -> Bool {
        guard depth <= Self.maxEqualityDepth else { throw failure("values nest too deeply to compare", at: node) }
        switch (left, right) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.integer, .integer), (.integer, .double), (.double, .integer), (.double, .double):
            return Self.numericOrder(left, right) == 0
        case (.string(let a), .string(let b)):
            try charge(min(a.utf8.count, b.utf8.count) / 8 + 1)
            return a == b
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) {
                try charge(1)
                if try !equals(x, y, depth: depth + 1, at: node) { return false }
            }
            return true
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (key, x) in a {
                try charge(1)
                guard let y = b[key], try equals(x, y, depth: depth + 1, at: node) else { return false }
            }
            return true
        default:
            return false
        }
    }

    /// -1, 0 or 1 for two numbers, exact even for integers beyond 2^53; nil when either is NaN
    /// or a value is not a number.
    static func numericOrder(_ left: JSONValue, _ right: JSONValue) -> Int? {
        switch (left, right) {
        case (.integer(let a), .integer(let b)): return a < b ? -1 : a == b ? 0 : 1
        case (.double(let a), .double(let b)):
            if a.isNaN || b.isNaN { return nil }
            return a < b ? -1 : a == b ? 0 : 1
        case (.integer(let a), .double(let b)): return mixedOrder(a, b)
        case (.double(let a), .integer(let b)): return mixedOrder(b, a).map { -$0 }
        default: return nil
        }
    }

    /// Orders an integer against a double without rounding the integer through `Double`.
    private static func mixedOrder(_ integer: Int64, _ double: Double) -> Int? {
        if double.isNaN { return nil }
        if double >= 9_223_372_036_854_775_808.0 { return -1 }  // 2^63: above every Int64
        if double < -9_223_372_036_854_775_808.0 { return 1 }
        let whole = double.rounded(.towardZero)
        let truncated = Int64(whole)  // in range: checked above
        if integer != truncated { return integer < truncated ? -1 : 1 }
        let fraction = double - whole
        return fraction > 0 ? -1 : fraction < 0 ? 1 : 0
    }

    private mutating func compare(
        _ op: Node.BinaryOperator, _ left: JSONValue, _ right: JSONValue, at node: Node
    ) throws(PolicyExpressionError) -> Bool {
        let order: Int
        switch (left, right) {
        case (.string(let a), .string(let b)):
            try charge(min(a.utf8.count, b.utf8.count) / 8 + 1)
            order = a < b ? -1 : a == b ? 0 : 1
        case (.integer, .integer), (.integer, .double), (.double, .integer), (.double, .double):
            // NaN is unordered: every comparison with it is false.
            guard let numeric = Self.numericOrder(left, right) else { return false }
            order = numeric
        default:
            throw mismatch(op, left, right, at: node)
        }
        switch op {
        case .less: return order < 0
        case .lessEqual: return order <= 0
        case .greater: return order > 0
        default: return order >= 0
        }
    }

    /// `in`: an element of a list (by equality) or a key of a map.
    private mutating func contains(_ needle: JSONValue, in haystack: JSONValue, at node: Node) throws(PolicyExpressionError) -> Bool {
        switch haystack {
        case .array(let elements):
            for element in elements {
                try charge(1)
                if try equals(needle, element, depth: 0, at: node) { return true }
            }
            return false
        case .object(let object):
            guard case .string(let key) = needle else {
                throw failure("'in' on a map needs a string key, got \(PolicyType.name(of: needle))", at: node)
            }
            try charge(Self.stringCost(key))
            return object[key] != nil
        default:
            throw failure("'in' needs a list or map on the right, got \(PolicyType.name(of: haystack))", at: node)
        }
    }
}
