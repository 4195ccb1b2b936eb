/// A JSON number as a template compares it: mathematically, whichever way it was written.
///
/// `JSONValue` keeps integers and doubles apart (so `42` round-trips as `42`), but JSON Schema
/// compares values, not spellings: `1 == 1.0`, and `9007199254740993 > 9007199254740992.0` even
/// though the integer has no exact double. Comparing through `Double` would get the second wrong, so
/// mixed comparisons here are exact.
struct JSONSchemaNumber: Sendable, Comparable, CustomStringConvertible {
    enum Storage: Sendable {
        case integer(Int64)
        case double(Double)
    }

    let storage: Storage

    init?(_ value: JSONValue) {
        switch value {
        case .integer(let integer): storage = .integer(integer)
        case .double(let double): storage = .double(double)
        default: return nil
        }
    }

    var doubleValue: Double {
        switch storage {
        case .integer(let integer): Double(integer)
        case .double(let double): double
        }
    }

    /// Whether the value has no fractional part (`3` and `3.0`, not `3.5`): JSON Schema's "integer".
    var isIntegral: Bool {
        switch storage {
        case .integer: true
        case .double(let double): double.isFinite && double.rounded(.towardZero) == double
        }
    }

    /// The value as an `Int64` when it is integral and in range; used to hash `1` and `1.0` alike.
    var exactInteger: Int64? {
        switch storage {
        case .integer(let integer): return integer
        case .double(let double):
            guard double.rounded(.towardZero) == double, double >= -0x1p63, double < 0x1p63 else { return nil }
            return Int64(double)
        }
    }

    static func == (lhs: JSONSchemaNumber, rhs: JSONSchemaNumber) -> Bool {
        compare(lhs, rhs) == 0
    }

    static func < (lhs: JSONSchemaNumber, rhs: JSONSchemaNumber) -> Bool {
        compare(lhs, rhs) < 0
    }

    /// -1, 0 or 1 as `lhs` is below, equal to or above `rhs`.
    static func compare(_ lhs: JSONSchemaNumber, _ rhs: JSONSchemaNumber) -> Int {
        switch (lhs.storage, rhs.storage) {
        case (.integer(let a), .integer(let b)): a < b ? -1 : (a > b ? 1 : 0)
        case (.double(let a), .double(let b)): a < b ? -1 : (a > b ? 1 : 0)
        case (.integer(let a), .double(let b)): compare(a, b)
        case (.double(let a), .integer(let b)): -compare(b, a)
        }
    }

    /// Exact comparison of an integer with a double, without rounding the integer to a double.
    private static func compare(_ integer: Int64, _ double: Double) -> Int {
        if double.isNaN { return 0 }  // the parser never produces NaN; treat it as incomparable
        if double >= 0x1p63 { return -1 }
        if double < -0x1p63 { return 1 }
        let whole = double.rounded(.towardZero)  // now in Int64's range, so the conversion is exact
        let wholeInteger = Int64(whole)
        if integer != wholeInteger { return integer < wholeInteger ? -1 : 1 }
        let fraction = double - whole
        return fraction > 0 ? -1 : (fraction < 0 ? 1 : 0)
    }

    /// Whether `self` is an integer multiple of `divisor` (which the compiler checked is > 0).
    ///
    /// Exact when both are integers. Otherwise in floating point, with a few units in the last place
    /// of slack on the quotient, because decimal fractions have no exact double: `0.3 / 0.1` is
    /// `2.9999999999999996`, yet every author means 0.3 to be a multiple of 0.1. A quotient that
    /// overflows (`1e308` by `0.123`) is not a multiple.
    func isMultiple(of divisor: JSONSchemaNumber) -> Bool {
        if case .integer(let value) = storage, case .integer(let step) = divisor.storage {
            return value % step == 0
        }
        let quotient = doubleValue / divisor.doubleValue
        guard quotient.isFinite else { return false }
        let nearest = quotient.rounded()
        return abs(quotient - nearest) <= 4 * max(nearest.ulp, quotient.ulp)
    }

    var description: String {
        switch storage {
        case .integer(let integer): String(integer)
        case .double(let double): double.description
        }
    }
}
