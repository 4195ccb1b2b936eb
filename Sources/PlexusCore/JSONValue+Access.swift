import Collections

/// Typed views of a `JSONValue`, for code that knows what shape it expects.
///
/// Each returns nil (or false) when the value is some other case, so a lookup chain like
/// `payload["user"]?["name"]?.stringValue` reads as one question and answers nil if any step misses.
extension JSONValue {
    /// The value stored under `key` when this is an object; nil for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    public var stringValue: String? {
        guard case .string(let string) = self else { return nil }
        return string
    }

    public var objectValue: JSONObject? {
        guard case .object(let object) = self else { return nil }
        return object
    }

    public var arrayValue: [JSONValue]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }

    public var isNull: Bool {
        self == .null
    }

    /// The integer, only when the document wrote an integer (a `2.0` stays a double: no silent truncation).
    public var integerValue: Int64? {
        guard case .integer(let integer) = self else { return nil }
        return integer
    }

    /// The number as a double; integers widen (beyond 2^53 that may round).
    public var doubleValue: Double? {
        switch self {
        case .double(let double): double
        case .integer(let integer): Double(integer)
        default: nil
        }
    }

    public var boolValue: Bool? {
        guard case .bool(let flag) = self else { return nil }
        return flag
    }
}
