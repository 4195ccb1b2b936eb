/// A point in time, microseconds since the Unix epoch (UTC).
///
/// The core never reads a clock: the shell passes `now` in, so a simulation can replay it.
/// RFC 3339 formatting and parsing are done here by hand because it is on the hot path of every
/// message and must not depend on locale or Foundation formatters.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(milliseconds: Int64) { self.microseconds = milliseconds * 1_000 }
    public init(seconds: Double) { self.microseconds = Int64((seconds * 1_000_000).rounded()) }

    public var milliseconds: Int64 { microseconds.floorDivided(by: 1_000) }
    public var seconds: Double { Double(microseconds) / 1_000_000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    public func adding(microseconds delta: Int64) -> Timestamp { Timestamp(microseconds: microseconds + delta) }

    public var description: String { rfc3339 }

    /// `2026-11-29T18:42:03.123456Z`: always UTC, always six fractional digits, so strings sort
    /// in time order.
    public var rfc3339: String {
        let secs = microseconds.floorDivided(by: 1_000_000)
        let micros = Int(microseconds - secs * 1_000_000)
        let days = secs.floorDivided(by: 86_400)
        let secOfDay = Int(secs - days * 86_400)
        let (y, m, d) = Self.civil(fromDays: days)
        var out: [UInt8] = []
        out.reserveCapacity(27)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        if y < 0 || y > 9999 { return "invalid-time" }
        digits(Int(y), 4); out.append(UInt8(ascii: "-"))
        digits(m, 2); out.append(UInt8(ascii: "-"))
        digits(d, 2); out.append(UInt8(ascii: "T"))
        digits(secOfDay / 3600, 2); out.append(UInt8(ascii: ":"))
        digits(secOfDay / 60 % 60, 2); out.append(UInt8(ascii: ":"))
        digits(secOfDay % 60, 2); out.append(UInt8(ascii: "."))
        digits(micros, 6); out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`); `t`, `z` and a space for `T`
    /// are accepted as RFC 3339 allows. Fractions beyond microseconds are truncated.
    public init?(rfc3339 text: some StringProtocol) {
        let parsed = text.utf8.withContiguousStorageIfAvailable { Timestamp(rfc3339UTF8: $0) }
            ?? Array(text.utf8).withUnsafeBufferPointer { Timestamp(rfc3339UTF8: $0) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// The same parse on UTF-8 bytes in place. Not generic, and no array made: every relayed
    /// envelope carries two timestamps and one per hop, and the copy into an array (plus one per
    /// separator checked) cost more than the parse.
    public init?(rfc3339UTF8 b: UnsafeBufferPointer<UInt8>) {
        var i = 0
        func number(_ width: Int) -> Int? {
            guard i + width <= b.count else { return nil }
            var v = 0
            for k in i..<(i + width) {
                let c = b[k]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += width
            return v
        }
        func expect(_ char: UInt8, or other: UInt8? = nil, or third: UInt8? = nil) -> Bool {
            guard i < b.count, b[i] == char || b[i] == other || b[i] == third else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
              expect(84, or: 116, or: 32), let hour = number(2), expect(58), let minute = number(2), expect(58),
              let second = number(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        var micros = 0
        if i < b.count, b[i] == 46 {
            i += 1
            var count = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if count < 6 { micros = micros * 10 + Int(b[i] - 48) }
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in min(count, 6)..<6 { micros *= 10 }
        }
        var offsetSeconds = 0
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45 {
            let sign = b[i] == 45 ? -1 : 1
            i += 1
            guard let oh = number(2), expect(58), let om = number(2), oh < 24, om < 60 else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = Self.days(fromCivil: year, month, day)
        let secs = days * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offsetSeconds)
        // An offset can push a valid local time out of the years 0000...9999 we can write back.
        guard Self.representableSeconds.contains(secs) else { return nil }
        self.microseconds = secs * 1_000_000 + Int64(micros)
    }

    /// Unix seconds of 0000-01-01T00:00:00Z ..< 10000-01-01T00:00:00Z: what RFC 3339 can write.
    static let representableSeconds: Range<Int64> = -62_167_219_200 ..< 253_402_300_800

    /// Unix seconds accepted where a client sends a number: 1970 ..< 10000.
    public static let unixSecondsRange: Range<Int64> = 0 ..< 253_402_300_800

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so times before 1970 format correctly.
    func floorDivided(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
