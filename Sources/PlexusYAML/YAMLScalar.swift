/// Parsers for the unit-carrying scalars of config files ("500ms", "5%", "10/s"). Kept apart from
/// `YAMLMapping` so callers that hold a bare string (an assertion's value, a CLI flag) parse it
/// the same way a file does. Each returns nil for text it does not accept; the caller names the key.
public enum YAMLScalar {
    /// Nanoseconds per duration unit. `m` is minutes (durations have no metres).
    static let durationUnits: [(suffix: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("min", 60e9), ("m", 60e9), ("h", 3_600e9),
    ]

    /// What `duration` accepts, for error messages.
    public static let durationHelp = "a duration like 500ms, 1s, 1.5s, 2m, 1h or 250us (a bare number is seconds)"

    /// A number: digits with an optional sign, decimal point, exponent and `_` separators.
    /// Rejects NaN and infinities, which no setting means.
    public static func number(_ text: String) -> Double? {
        let cleaned = String(text.trimmingSpaces.filter { $0 != "_" })
        guard !cleaned.isEmpty, cleaned.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
              let value = Double(cleaned), value.isFinite else { return nil }
        return value
    }

    /// `500ms`, `1.5s`, `2m`, `1h`, `250us`, `10ns`; a bare number is seconds. Negative durations
    /// only when `allowNegative` (a clock offset may be behind, a timeout may not).
    public static func duration(_ text: String, allowNegative: Bool = false) -> Duration? {
        let trimmed = text.trimmingSpaces
        let numberEnd = trimmed.firstIndex { !($0.isASCII && ($0.isNumber || "+-._".contains($0))) } ?? trimmed.endIndex
        let unit = trimmed[numberEnd...].trimmingSpaces
        guard let value = number(String(trimmed[..<numberEnd])) else { return nil }
        let scale: Double
        if unit.isEmpty {
            scale = 1e9
        } else if let match = durationUnits.first(where: { $0.suffix == unit }) {
            scale = match.nanoseconds
        } else {
            return nil
        }
        let nanoseconds = (value * scale).rounded()
        guard allowNegative || nanoseconds >= 0, abs(nanoseconds) < 9.2e18 else { return nil }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// A duration as fractional seconds (how metrics and assertions compare times).
    public static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// `0.05` or `5%`; must lie within 0...1 (100%).
    public static func fraction(_ text: String) -> Double? {
        let trimmed = text.trimmingSpaces
        let value: Double?
        if trimmed.hasSuffix("%") {
            value = number(String(trimmed.dropLast())).map { $0 / 100 }
        } else {
            value = number(trimmed)
        }
        guard let value, (0...1).contains(value) else { return nil }
        return value
    }

    /// Events per second: `10/s`, `600/m` (or `/min`), `3600/h`, or a bare number per second.
    /// Must be positive: a zero rate would never finish.
    public static func rate(_ text: String) -> Double? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let count = number(String(parts[0])) else { return nil }
        var perSecond = count
        if parts.count == 2 {
            switch parts[1].trimmingSpaces {
            case "s": perSecond = count
            case "m", "min": perSecond = count / 60
            case "h": perSecond = count / 3_600
            default: return nil
            }
        }
        return perSecond > 0 ? perSecond : nil
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (no Foundation needed for so little).
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
