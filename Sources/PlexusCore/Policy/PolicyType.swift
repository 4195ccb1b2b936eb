/// The static type of a policy expression or of a variable it reads.
///
/// Declared types let the checker reject a policy when it is written (`topic + 1`, `size(true)`)
/// instead of when the first message trips over it. `dyn` is for JSON whose shape nobody declared
/// (message data, metadata): checks on it are deferred to evaluation, where a mismatch is an
/// evaluation error, never a crash.
public indirect enum PolicyType: Sendable, Hashable, CustomStringConvertible {
    case bool
    case int
    case double
    case string
    case null
    case list(PolicyType)
    case map(PolicyType)
    case dyn

    public var description: String {
        switch self {
        case .bool: "bool"
        case .int: "int"
        case .double: "double"
        case .string: "string"
        case .null: "null"
        case .list(let element): "list(\(element))"
        case .map(let value): "map(\(value))"
        case .dyn: "dyn"
        }
    }

    var isNumeric: Bool { self == .int || self == .double }

    /// True when a value of this type could be used where `other` is expected: equal types, or
    /// `dyn` anywhere in the structure (where the check is left to evaluation).
    func isCompatible(with other: PolicyType) -> Bool {
        switch (self, other) {
        case (.dyn, _), (_, .dyn): true
        case (.list(let a), .list(let b)): a.isCompatible(with: b)
        case (.map(let a), .map(let b)): a.isCompatible(with: b)
        default: self == other
        }
    }

    /// True when `==` between the two types can ever be true, so comparing them is not a mistake.
    /// Numbers compare across int and double; `null` compares with anything (a missing optional).
    func isComparableForEquality(with other: PolicyType) -> Bool {
        if self == .null || other == .null { return true }
        if isNumeric && other.isNumeric { return true }
        return isCompatible(with: other)
    }

    /// The one type that describes values of both types: the type itself when they agree, `dyn`
    /// when they do not (a list literal mixing strings and ints is a `list(dyn)`).
    func joined(with other: PolicyType) -> PolicyType {
        switch (self, other) {
        case (.list(let a), .list(let b)): .list(a.joined(with: b))
        case (.map(let a), .map(let b)): .map(a.joined(with: b))
        default: self == other ? self : .dyn
        }
    }

    /// Whether a runtime value has this type at its top level.
    ///
    /// Only the outermost case is checked, so that reading a declared `list(string)` costs the same
    /// for ten elements as for ten thousand; the elements are checked by whatever operation uses
    /// them. An integer is accepted where a double is declared, as JSON writers drop `.0`.
    func admits(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.dyn, _): true
        case (.bool, .bool), (.int, .integer), (.double, .double), (.double, .integer): true
        case (.string, .string), (.null, .null), (.list, .array), (.map, .object): true
        default: false
        }
    }

    /// The type name of a runtime value, for evaluation error messages.
    static func name(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "bool"
        case .integer: "int"
        case .double: "double"
        case .string: "string"
        case .array: "list"
        case .object: "map"
        }
    }
}
