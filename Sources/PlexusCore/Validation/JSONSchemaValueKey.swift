/// A JSON value with JSON Schema's equality, for `enum`, `const` and `uniqueItems`.
///
/// `JSONValue`'s own `==` is structural: it tells `1` from `1.0` and `{"a":1,"b":2}` from
/// `{"b":2,"a":1}`. JSON Schema equality is mathematical for numbers, unordered for object members
/// and code point by code point for strings (Swift's `String ==` would also equate canonically
/// equivalent spellings such as a composed and a decomposed "é"). Wrapping a value in this key gives
/// that equality with a consistent hash, so `enum` lookups and duplicate checks are set operations.
struct JSONSchemaValueKey: Hashable, Sendable {
    let value: JSONValue

    init(_ value: JSONValue) {
        self.value = value
    }

    static func == (lhs: JSONSchemaValueKey, rhs: JSONSchemaValueKey) -> Bool {
        equal(lhs.value, rhs.value)
    }

    func hash(into hasher: inout Hasher) {
        Self.hash(value, into: &hasher, depth: 0)
    }

    /// JSON Schema equality. Iterative, so two deeply nested documents cannot exhaust the stack.
    static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        var pending: [(JSONValue, JSONValue)] = [(lhs, rhs)]
        while let (left, right) = pending.popLast() {
            switch (left, right) {
            case (.null, .null):
                continue
            case (.bool(let a), .bool(let b)):
                if a != b { return false }
            case (.string(let a), .string(let b)):
                if !a.utf8.elementsEqual(b.utf8) { return false }
            case (.integer, .integer), (.integer, .double), (.double, .integer), (.double, .double):
                guard let a = JSONSchemaNumber(left), let b = JSONSchemaNumber(right), a == b else { return false }
            case (.array(let a), .array(let b)):
                guard a.count == b.count else { return false }
                for index in a.indices { pending.append((a[index], b[index])) }
            case (.object(let a), .object(let b)):
                guard a.count == b.count else { return false }
                for (key, value) in a {
                    guard let other = b[key] else { return false }
                    pending.append((value, other))
                }
            default:
                return false
            }
        }
        return true
    }

    /// Hashes only the top few levels: equal values still hash alike, and a hostile depth costs nothing.
    private static func hash(_ value: JSONValue, into hasher: inout Hasher, depth: Int) {
        switch value {
        case .null:
            hasher.combine(0 as UInt8)
        case .bool(let flag):
            hasher.combine(1 as UInt8)
            hasher.combine(flag)
        case .string(let string):
            hasher.combine(2 as UInt8)
            hasher.combine(string)
        case .integer, .double:
            hasher.combine(3 as UInt8)
            // Equal numbers must hash alike: integral values hash as Int64 whichever case holds them.
            let number = JSONSchemaNumber(value)!
            if let integer = number.exactInteger {
                hasher.combine(integer)
            } else {
                hasher.combine(number.doubleValue.bitPattern)
            }
        case .array(let elements):
            hasher.combine(4 as UInt8)
            hasher.combine(elements.count)
            guard depth < 4 else { return }
            for element in elements { hash(element, into: &hasher, depth: depth + 1) }
        case .object(let object):
            hasher.combine(5 as UInt8)
            hasher.combine(object.count)
            guard depth < 4 else { return }
            // Member order must not matter: combine per-member hashes with a commutative sum.
            var sum = 0
            for (key, member) in object {
                var memberHasher = Hasher()
                memberHasher.combine(key)
                hash(member, into: &memberHasher, depth: depth + 1)
                sum &+= memberHasher.finalize()
            }
            hasher.combine(sum)
        }
    }
}
