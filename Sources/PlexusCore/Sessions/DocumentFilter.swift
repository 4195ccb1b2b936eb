/// The query language of the original `POST /sessions` and `POST /channels`: a JSON object of
/// field conditions, all of which must hold. A condition is a value (equality) or an object of
/// Mongo-style operators: `$eq`, `$ne`, `$in`, `$nin`, `$lt`, `$lte`, `$gt`, `$gte`.
///
/// As in MongoDB, a condition on an array field holds when the array itself or any of its
/// elements satisfies it (`{"channel_tags": {"$in": ["ops"]}}` finds channels tagged ops).
/// Comparisons hold only between two numbers or two strings; anything else does not match
/// (no type coercion). Unknown operators and fields are refused when the filter is read, so a
/// typo is an error instead of a filter that silently matches nothing.
public struct DocumentFilter: Sendable, Hashable {
    enum Condition: Sendable, Hashable {
        case equals(JSONValue)
        case notEquals(JSONValue)
        case within([JSONValue])
        case notWithin([JSONValue])
        case less(JSONValue, orEqual: Bool)
        case greater(JSONValue, orEqual: Bool)
    }

    let conditions: [(field: String, condition: Condition)]

    public static func == (a: DocumentFilter, b: DocumentFilter) -> Bool {
        a.conditions.elementsEqual(b.conditions) { $0.field == $1.field && $0.condition == $1.condition }
    }

    public func hash(into hasher: inout Hasher) {
        for (field, condition) in conditions {
            hasher.combine(field)
            hasher.combine(condition)
        }
    }

    /// Reads a filter; `fields` are the names a document may be queried on.
    public init(_ json: JSONValue, fields: Set<String>) throws(PlexusError) {
        guard case .object(let object) = json else {
            throw PlexusError(.invalidQuery, "the filter must be a JSON object of field conditions, e.g. {\"status\": {\"$in\": [\"sent\"]}}")
        }
        var conditions: [(field: String, condition: Condition)] = []
        for (field, value) in object {
            guard fields.contains(field) else {
                throw PlexusError(.invalidQuery, "unknown field \"\(field)\"; the fields are \(fields.sorted().joined(separator: ", "))", pointer: "/\(field)")
            }
            guard case .object(let operators) = value, operators.keys.contains(where: { $0.hasPrefix("$") }) else {
                conditions.append((field, .equals(value)))
                continue
            }
            for (name, operand) in operators {
                conditions.append((field, try Self.condition(name, operand, pointer: "/\(field)/\(name)")))
            }
        }
        self.conditions = conditions
    }

    static func condition(_ name: String, _ operand: JSONValue, pointer: String) throws(PlexusError) -> Condition {
        func list() throws(PlexusError) -> [JSONValue] {
            guard case .array(let values) = operand else { throw PlexusError(.invalidQuery, "\(name) takes an array", pointer: pointer) }
            return values
        }
        func comparable() throws(PlexusError) -> JSONValue {
            switch operand {
            case .integer, .double, .string: return operand
            default: throw PlexusError(.invalidQuery, "\(name) compares with a number or a string", pointer: pointer)
            }
        }
        switch name {
        case "$eq": return .equals(operand)
        case "$ne": return .notEquals(operand)
        case "$in": return .within(try list())
        case "$nin": return .notWithin(try list())
        case "$lt": return .less(try comparable(), orEqual: false)
        case "$lte": return .less(try comparable(), orEqual: true)
        case "$gt": return .greater(try comparable(), orEqual: false)
        case "$gte": return .greater(try comparable(), orEqual: true)
        default:
            throw PlexusError(.invalidQuery, "unknown operator \(name); use $eq, $ne, $in, $nin, $lt, $lte, $gt or $gte", pointer: pointer)
        }
    }

    public func matches(_ document: JSONObject) -> Bool {
        conditions.allSatisfy { field, condition in
            let value = document[field] ?? .null
            switch condition {
            case .notEquals(let operand): return !Self.holds(value) { Self.same($0, operand) }
            case .notWithin(let operands): return !Self.holds(value) { element in operands.contains { Self.same(element, $0) } }
            default: return Self.holds(value) { Self.satisfies($0, condition) }
            }
        }
    }

    /// The value itself, or (for an array) any element.
    static func holds(_ value: JSONValue, _ test: (JSONValue) -> Bool) -> Bool {
        if test(value) { return true }
        if case .array(let elements) = value { return elements.contains(where: test) }
        return false
    }

    static func satisfies(_ value: JSONValue, _ condition: Condition) -> Bool {
        switch condition {
        case .equals(let operand): same(value, operand)
        case .within(let operands): operands.contains { same(value, $0) }
        case .less(let operand, let orEqual): compare(value, operand).map { orEqual ? $0 <= 0 : $0 < 0 } ?? false
        case .greater(let operand, let orEqual): compare(value, operand).map { orEqual ? $0 >= 0 : $0 > 0 } ?? false
        case .notEquals, .notWithin: false
        }
    }

    /// Equality where 2 and 2.0 are the same number.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = number(a), let y = number(b) { return x == y }
        return a == b
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let integer): Double(integer)
        case .double(let double): double
        default: nil
        }
    }

    static func compare(_ a: JSONValue, _ b: JSONValue) -> Int? {
        if let x = number(a), let y = number(b) { return x < y ? -1 : (x > y ? 1 : 0) }
        if case .string(let x) = a, case .string(let y) = b { return x < y ? -1 : (x > y ? 1 : 0) }
        return nil
    }
}
