// Strings: scanned in place, eight plain bytes at a time; escapes decoded only when present.
extension JSONParser {
    /// Parses the string whose opening quote is at `index` and leaves `index` after its closing quote.
    ///
    /// UTF-8 is validated as the scan goes, so errors come out in byte order and the String is
    /// built from the input slice in one copy.
    mutating func parseString() throws(JSONError) -> String {
        let start = index + 1
        var i = start
        while true {
            i = skipPlainASCII(from: i)
            guard i < end else { throw unterminatedString(from: start) }
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                index = i + 1
                return try makeString(UnsafeBufferPointer(start: bytes + start, count: i - start), quote: start - 1)
            } else if byte == UInt8(ascii: "\\") {
                return try parseEscapedString(start: start, firstEscape: i)
            } else if byte < 0x20 {
                throw controlCharacter(at: i)
            } else {
                i += try validUTF8SequenceLength(at: i)
            }
        }
    }

    /// The slow path for strings with escapes: copies unescaped runs and decoded escapes into `scratch`.
    private mutating func parseEscapedString(start: Int, firstEscape: Int) throws(JSONError) -> String {
        scratch.removeAll(keepingCapacity: true)
        var i = firstEscape
        var runStart = start
        while true {
            i = skipPlainASCII(from: i)
            guard i < end else { throw unterminatedString(from: start) }
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                scratch.append(contentsOf: UnsafeBufferPointer(start: bytes + runStart, count: i - runStart))
                index = i + 1
                return try makeString(scratch, quote: start - 1)
            } else if byte == UInt8(ascii: "\\") {
                scratch.append(contentsOf: UnsafeBufferPointer(start: bytes + runStart, count: i - runStart))
                i = try decodeEscape(at: i, stringStart: start)
                runStart = i
            } else if byte < 0x20 {
                throw controlCharacter(at: i)
            } else {
                i += try validUTF8SequenceLength(at: i)
            }
        }
    }

    /// Skips bytes that need no attention (printable ASCII other than `"` and `\`), eight at a time.
    @inline(__always)
    private func skipPlainASCII(from start: Int) -> Int {
        var i = start
        while end - i >= 8 {
            let word = UnsafeRawPointer(bytes + i).loadUnaligned(as: UInt64.self)
            // Classic SWAR tests, exact for "does any byte match": high bit set, below 0x20,
            // equal to '"' (0x22), equal to '\' (0x5C).
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            let below20 = (word &- ones &* 0x20) & ~word
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let isQuote = (quote &- ones) & ~quote
            let isBackslash = (backslash &- ones) & ~backslash
            if (word | below20 | isQuote | isBackslash) & highs != 0 { break }
            i += 8
        }
        while i < end {
            let byte = bytes[i]
            if byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { break }
            i += 1
        }
        return i
    }

    /// Decodes the escape at `i` (a backslash) into `scratch` and returns the index after it.
    private mutating func decodeEscape(at i: Int, stringStart: Int) throws(JSONError) -> Int {
        guard i + 1 < end else { throw unterminatedString(from: stringStart) }
        switch bytes[i + 1] {
        case UInt8(ascii: "\""): scratch.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): scratch.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"): return try decodeUnicodeEscape(at: i, stringStart: stringStart)
        default:
            throw JSONError(
                code: .invalidEscape, offset: i,
                message: "invalid escape '\\\(Self.printable(bytes[i + 1]))' at byte \(i)")
        }
        return i + 2
    }

    /// Decodes the `\uXXXX` escape (or surrogate pair) at `i` into `scratch` and returns the index after it.
    private mutating func decodeUnicodeEscape(at i: Int, stringStart: Int) throws(JSONError) -> Int {
        let unit = try readHex4(at: i + 2, escapeStart: i, stringStart: stringStart)
        let scalar: UInt32
        var next = i + 6
        switch unit {
        case 0:
            throw JSONError(
                code: .nulCharacter, offset: i, message: "\\u0000 (NUL) at byte \(i) is not allowed in strings")
        case 0xD800...0xDBFF:
            guard next < end else { throw unterminatedString(from: stringStart) }
            guard bytes[next] == UInt8(ascii: "\\") else {
                throw loneSurrogate(unit, at: i, "is not followed by a low surrogate")
            }
            guard next + 1 < end else { throw unterminatedString(from: stringStart) }
            guard bytes[next + 1] == UInt8(ascii: "u") else {
                throw loneSurrogate(unit, at: i, "is not followed by a low surrogate")
            }
            let low = try readHex4(at: next + 2, escapeStart: next, stringStart: stringStart)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw loneSurrogate(unit, at: i, "is not followed by a low surrogate")
            }
            scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            next += 6
        case 0xDC00...0xDFFF:
            throw loneSurrogate(unit, at: i, "is not preceded by a high surrogate")
        default:
            scalar = unit
        }
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (scalar >> 6)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (scalar >> 12)))
            scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (scalar >> 18)))
            scratch.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        }
        return next
    }

    private func readHex4(at position: Int, escapeStart: Int, stringStart: Int) throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard position + offset < end else { throw unterminatedString(from: stringStart) }
            let byte = bytes[position + offset]
            guard let digit = Hex.value(of: byte) else {
                throw JSONError(
                    code: .invalidEscape, offset: escapeStart,
                    message: "invalid escape at byte \(escapeStart): \\u must be followed by four hex digits")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Builds the String from UTF-8 that has already been validated.
    @inline(__always)
    private func makeString(_ utf8: some Collection<UInt8>, quote: Int) throws(JSONError) -> String {
        guard utf8.count <= limits.maxStringBytes else {
            throw JSONError(
                code: .stringTooLong, offset: quote,
                message: "string at byte \(quote) is \(utf8.count) bytes, more than the limit of \(limits.maxStringBytes)")
        }
        if utf8.isEmpty { return "" }
        return String(decoding: utf8, as: UTF8.self)
    }

    // MARK: - UTF-8

    /// The length of the well-formed non-ASCII UTF-8 sequence at `i`, or the reason it is ill-formed.
    @inline(__always)
    private func validUTF8SequenceLength(at i: Int) throws(JSONError) -> Int {
        guard let length = utf8SequenceLength(at: i) else { throw utf8Error(at: i) }
        return length
    }

    /// The length of the well-formed UTF-8 sequence at `i`, or nil (Unicode Table 3-7).
    func utf8SequenceLength(at i: Int) -> Int? {
        let lead = bytes[i]
        if lead < 0x80 { return 1 }
        let secondLow: UInt8
        let secondHigh: UInt8
        let length: Int
        switch lead {
        case 0xC2...0xDF: (secondLow, secondHigh, length) = (0x80, 0xBF, 2)
        case 0xE0: (secondLow, secondHigh, length) = (0xA0, 0xBF, 3)
        case 0xE1...0xEC, 0xEE...0xEF: (secondLow, secondHigh, length) = (0x80, 0xBF, 3)
        case 0xED: (secondLow, secondHigh, length) = (0x80, 0x9F, 3)
        case 0xF0: (secondLow, secondHigh, length) = (0x90, 0xBF, 4)
        case 0xF1...0xF3: (secondLow, secondHigh, length) = (0x80, 0xBF, 4)
        case 0xF4: (secondLow, secondHigh, length) = (0x80, 0x8F, 4)
        default: return nil
        }
        guard end - i >= length else { return nil }
        let second = bytes[i + 1]
        guard second >= secondLow, second <= secondHigh else { return nil }
        if length >= 3, bytes[i + 2] & 0xC0 != 0x80 { return nil }
        if length == 4, bytes[i + 3] & 0xC0 != 0x80 { return nil }
        return length
    }

    /// Says why the sequence at `i` is ill-formed; call only where `utf8SequenceLength` returned nil.
    @inline(never)
    func utf8Error(at i: Int) -> JSONError {
        let lead = bytes[i]
        let second: UInt8? = i + 1 < end ? bytes[i + 1] : nil
        let reason: String
        switch lead {
        case 0x80...0xBF:
            reason = "unexpected continuation byte 0x\(Self.hex(lead))"
        case 0xC0, 0xC1:
            reason = "overlong encoding (lead byte 0x\(Self.hex(lead)))"
        case 0xE0 where second.map { (0x80...0x9F).contains($0) } == true,
            0xF0 where second.map { (0x80...0x8F).contains($0) } == true:
            reason = "overlong encoding"
        case 0xED where second.map { (0xA0...0xBF).contains($0) } == true:
            reason = "encoded surrogate code point (U+D800...U+DFFF)"
        case 0xF4 where second.map { (0x90...0xBF).contains($0) } == true, 0xF5...0xF7:
            reason = "code point above U+10FFFF"
        case 0xF8...0xFF:
            reason = "byte 0x\(Self.hex(lead)) never appears in UTF-8"
        default:
            reason = "truncated multi-byte sequence"
        }
        return JSONError(code: .invalidUTF8, offset: i, message: "invalid UTF-8 at byte \(i): \(reason)")
    }

    // MARK: - String errors

    @inline(never)
    private func controlCharacter(at i: Int) -> JSONError {
        let byte = bytes[i]
        if byte == 0 {
            return JSONError(code: .nulCharacter, offset: i, message: "NUL byte at byte \(i) is not allowed in strings")
        }
        return JSONError(
            code: .controlCharacter, offset: i,
            message: "unescaped control character 0x\(Self.hex(byte)) in string at byte \(i)")
    }

    @inline(never)
    private func unterminatedString(from stringStart: Int) -> JSONError {
        JSONError(
            code: .unexpectedEnd, offset: end,
            message: "unexpected end of input at byte \(end): string starting at byte \(stringStart - 1) is not terminated")
    }

    @inline(never)
    private func loneSurrogate(_ unit: UInt32, at i: Int, _ problem: String) -> JSONError {
        JSONError(
            code: .loneSurrogate, offset: i,
            message: "lone surrogate \\u\(Self.hex(unit, digits: 4)) at byte \(i) \(problem)")
    }
}
