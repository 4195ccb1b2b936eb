// Numbers: the RFC 8259 grammar checked byte by byte, then converted without text where that is exact.
extension JSONParser {
    /// Parses the number starting at `index` (a digit or `-`) and leaves `index` after it.
    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = index
        var i = index
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }

        // Significant digits accumulate into `mantissa` until it would overflow; after that the
        // number can only be a double and takes the exact (slow) path.
        var mantissa: UInt64 = 0
        var overflowed = false
        var exponent = 0
        var isInteger = true

        guard i < end, Self.isDigit(bytes[i]) else {
            if i < end, bytes[i] == UInt8(ascii: "I") {
                throw invalidNumber(at: start, "-Infinity is not a JSON number")
            }
            throw invalidNumber(at: start, "expected a digit after '-'")
        }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < end, Self.isDigit(bytes[i]) {
                throw invalidNumber(at: start, "leading zeros are not allowed")
            }
        } else {
            while i < end, Self.isDigit(bytes[i]) {
                Self.accumulate(bytes[i], into: &mantissa, overflowed: &overflowed)
                i += 1
            }
        }

        if i < end, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard i < end, Self.isDigit(bytes[i]) else {
                throw invalidNumber(at: start, "expected a digit after the decimal point")
            }
            while i < end, Self.isDigit(bytes[i]) {
                if !overflowed {
                    Self.accumulate(bytes[i], into: &mantissa, overflowed: &overflowed)
                    if !overflowed { exponent -= 1 }
                }
                i += 1
            }
        }

        if i < end, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            var exponentNegative = false
            if i < end, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < end, Self.isDigit(bytes[i]) else {
                throw invalidNumber(at: start, "expected a digit in the exponent")
            }
            var explicit = 0
            while i < end, Self.isDigit(bytes[i]) {
                // Saturate: anything this large is out of range (or zero) either way.
                if explicit < 100_000 { explicit = explicit * 10 + Int(bytes[i] &- UInt8(ascii: "0")) }
                i += 1
            }
            exponent += exponentNegative ? -explicit : explicit
        }
        index = i

        if isInteger && !overflowed {
            if negative {
                if mantissa <= UInt64(Int64.max) { return .integer(-Int64(mantissa)) }
                if mantissa == UInt64(Int64.max) + 1 { return .integer(.min) }
            } else if mantissa <= UInt64(Int64.max) {
                return .integer(Int64(mantissa))
            }
        }

        // Clinger's fast path: an exactly representable mantissa scaled by an exactly
        // representable power of ten rounds correctly in one IEEE operation.
        if !overflowed, mantissa <= 1 << 53, exponent >= -22, exponent <= 22 {
            var value = Double(mantissa)
            if exponent < 0 {
                value /= Self.powerOfTen(-exponent)
            } else {
                value *= Self.powerOfTen(exponent)
            }
            return .double(negative ? -value : value)
        }

        let text = String(decoding: UnsafeBufferPointer(start: bytes + start, count: i - start), as: UTF8.self)
        // The grammar was checked above, so the standard library's correctly rounded conversion
        // cannot fail; it returns ±infinity for magnitudes beyond Double.
        guard let value = Double(text), value.isFinite else {
            throw JSONError(
                code: .numberOutOfRange, offset: start,
                message: "number at byte \(start) is too large to represent as a double")
        }
        return .double(value)
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    @inline(__always)
    private static func accumulate(_ digit: UInt8, into mantissa: inout UInt64, overflowed: inout Bool) {
        let (times10, o1) = mantissa.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times10.addingReportingOverflow(UInt64(digit &- UInt8(ascii: "0")))
        if o1 || o2 {
            overflowed = true
        } else {
            mantissa = sum
        }
    }

    /// 10^exponent for 0...22, the powers of ten a double holds exactly.
    @inline(__always)
    private static func powerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }

    @inline(never)
    func invalidNumber(at offset: Int, _ problem: String) -> JSONError {
        JSONError(code: .invalidNumber, offset: offset, message: "invalid number at byte \(offset): \(problem)")
    }
}
