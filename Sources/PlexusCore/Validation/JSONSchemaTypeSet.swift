/// The JSON Schema types a `type` keyword allows, as a bit set so a check is one AND.
struct JSONSchemaTypeSet: OptionSet, Sendable, Hashable {
    let rawValue: UInt8

    static let null = JSONSchemaTypeSet(rawValue: 1 << 0)
    static let boolean = JSONSchemaTypeSet(rawValue: 1 << 1)
    static let integer = JSONSchemaTypeSet(rawValue: 1 << 2)
    static let number = JSONSchemaTypeSet(rawValue: 1 << 3)
    static let string = JSONSchemaTypeSet(rawValue: 1 << 4)
    static let array = JSONSchemaTypeSet(rawValue: 1 << 5)
    static let object = JSONSchemaTypeSet(rawValue: 1 << 6)

    /// In the order the spec lists them, which is also the order messages name them in.
    static let named: [(name: String, type: JSONSchemaTypeSet)] = [
        ("null", .null), ("boolean", .boolean), ("object", .object), ("array", .array),
        ("number", .number), ("string", .string), ("integer", .integer),
    ]

    init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    init?(name: String) {
        guard let match = Self.named.first(where: { $0.name == name }) else { return nil }
        self = match.type
    }

    /// The types `value` belongs to. Every integer is also a number, and a double with no fractional
    /// part (`2.0`) is an integer: JSON Schema types values, not spellings.
    static func of(_ value: JSONValue) -> JSONSchemaTypeSet {
        switch value {
        case .null: .null
        case .bool: .boolean
        case .integer: [.integer, .number]
        case .double(let double): double.isFinite && double.rounded(.towardZero) == double ? [.integer, .number] : .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    /// `"string"`, or `"integer or string"` for a set.
    var names: String {
        Self.named.filter { contains($0.type) }.map(\.name).joined(separator: " or ")
    }
}
