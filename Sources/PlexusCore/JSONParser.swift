import Collections

/// A strict RFC 8259 JSON parser that works directly on bytes.
///
/// Every payload that enters Plexus passes through here, from peers and clients we do not trust,
/// so the parser is both strict and fast:
///
/// - Strict: it accepts exactly RFC 8259 and refuses, with a `JSONError` naming the reason and byte
///   offset, everything a lenient parser would guess about: ill-formed UTF-8, lone surrogates,
///   U+0000 (PostgreSQL cannot store it), raw control characters, duplicate keys, trailing bytes,
///   NaN/Infinity/leading zeros, and nesting deeper than `JSONLimits.maxDepth` (checked before
///   descending, so hostile depth costs nothing). The first problem in byte order is reported.
/// - Fast: it reads the buffer in place, builds each string from one byte slice (decoding escapes
///   only when a string has some), and converts most numbers without going through text.
///
/// Integers that fit `Int64` become `.integer`; any number with a fraction or exponent, or outside
/// `Int64`, becomes `.double`; a number that would round to infinity is `numberOutOfRange`.
public struct JSONParser {
    // Internal rather than private only so that the parser's extensions in
    // JSONParser+Strings.swift, JSONParser+Numbers.swift and JSONParser+Envelope.swift can reach
    // them; nothing outside this module can hold a JSONParser, as its only initializer is internal.
    let bytes: UnsafePointer<UInt8>
    let end: Int
    let limits: JSONLimits
    var index = 0
    /// Reused for strings that contain escapes, so one document costs at most one such buffer.
    var scratch: [UInt8] = []

    init(bytes: UnsafePointer<UInt8>, count: Int, limits: JSONLimits) {
        self.bytes = bytes
        self.end = count
        self.limits = limits
    }

    // MARK: - Entry points

    /// Parses one complete JSON document; the primitive the other entry points call.
    ///
    /// Use it when the bytes already sit in a buffer (a NIO `ByteBuffer`, a `Data`), so nothing is copied.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer,
        limits: JSONLimits = .default
    ) throws(JSONError) -> JSONValue {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw JSONError(code: .empty, offset: 0, message: "empty input: expected a JSON value")
        }
        // Reading raw bytes as UInt8 is valid whatever the memory was bound to: UInt8 is trivial
        // and every bit pattern is a valid value.
        var parser = JSONParser(
            bytes: base.assumingMemoryBound(to: UInt8.self), count: bytes.count, limits: limits)
        return try parser.parseDocument()
    }

    /// Parses a document held in a byte array.
    public static func parse(_ bytes: [UInt8], limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        var result: Result<JSONValue, JSONError>!
        bytes.withUnsafeBytes { raw in
            result = Result { () throws(JSONError) in try parse(raw, limits: limits) }
        }
        return try result.get()
    }

    /// Parses a document from any byte sequence (`ArraySlice<UInt8>`, `Data`, a `ByteBufferView`),
    /// in place when its storage is contiguous.
    public static func parse(_ bytes: some Sequence<UInt8>, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        var result: Result<JSONValue, JSONError>?
        _ = bytes.withContiguousStorageIfAvailable { buffer in
            result = Result { () throws(JSONError) in try parse(UnsafeRawBufferPointer(buffer), limits: limits) }
        }
        if let result { return try result.get() }
        return try parse(Array(bytes), limits: limits)
    }

    /// Parses a document given as text (tests, configuration, the command line).
    public static func parse(_ text: some StringProtocol, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        var string = String(text)
        var result: Result<JSONValue, JSONError>!
        string.withUTF8 { buffer in
            result = Result { () throws(JSONError) in try parse(UnsafeRawBufferPointer(buffer), limits: limits) }
        }
        return try result.get()
    }

    // MARK: - Document and values

    private mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        guard index < end else {
            throw JSONError(code: .empty, offset: 0, message: "input contains only whitespace: expected a JSON value")
        }
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard index == end else {
            throw JSONError(
                code: .trailingData, offset: index,
                message: "unexpected \(Self.describe(bytes[index])) at byte \(index) after the end of the JSON value")
        }
        return value
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                index += 1
            default:
                return
            }
        }
    }

    /// Parses the value starting at `index`, which the caller has checked is in bounds and not
    /// whitespace. `depth` is the number of containers around this value. (Internal for the
    /// envelope reader in JSONParser+Envelope.swift.)
    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "{"):
            return try parseObject(depth: depth)
        case UInt8(ascii: "["):
            return try parseArray(depth: depth)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        case UInt8(ascii: "t"):
            try parseLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try parseLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try parseLiteral("null")
            return .null
        case UInt8(ascii: "+"):
            throw invalidNumber(at: index, "a leading '+' is not allowed")
        case UInt8(ascii: "."):
            throw invalidNumber(at: index, "a number must start with a digit, not '.'")
        case UInt8(ascii: "N") where hasPrefix("NaN"), UInt8(ascii: "I") where hasPrefix("Infinity"):
            throw invalidNumber(at: index, "NaN and Infinity are not JSON numbers")
        default:
            throw unexpected(at: index, expected: "a JSON value")
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        try checkDepth(depth)
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        guard index < end else { throw unexpectedEnd(expected: "a value or ']'") }
        if bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < end else { throw unexpectedEnd(expected: "',' or ']'") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
                guard index < end else { throw unexpectedEnd(expected: "a value") }
            case UInt8(ascii: "]"):
                index += 1
                return .array(elements)
            default:
                throw unexpected(at: index, expected: "',' or ']' in array")
            }
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        try checkDepth(depth)
        index += 1  // {
        var object = JSONObject()
        skipWhitespace()
        guard index < end else { throw unexpectedEnd(expected: "a string key or '}'") }
        if bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(object)
        }
        while true {
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw unexpected(at: index, expected: object.isEmpty ? "a string key or '}'" : "a string key")
            }
            let keyOffset = index
            let key = try parseString()
            // Claim the slot now (one hash lookup) so a duplicate is reported before anything in its value.
            let (existing, position) = object.updateValue(.null, forKey: key, insertingAt: object.count)
            if existing != nil {
                throw JSONError(
                    code: .duplicateKey, offset: keyOffset,
                    message: "duplicate key \(Self.quoted(key)) at byte \(keyOffset)")
            }
            skipWhitespace()
            guard index < end else { throw unexpectedEnd(expected: "':'") }
            guard bytes[index] == UInt8(ascii: ":") else {
                throw unexpected(at: index, expected: "':' after object key")
            }
            index += 1
            skipWhitespace()
            guard index < end else { throw unexpectedEnd(expected: "a value") }
            object.values[position] = try parseValue(depth: depth + 1)
            skipWhitespace()
            guard index < end else { throw unexpectedEnd(expected: "',' or '}'") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
                guard index < end else { throw unexpectedEnd(expected: "a string key") }
            case UInt8(ascii: "}"):
                index += 1
                return .object(object)
            default:
                throw unexpected(at: index, expected: "',' or '}' in object")
            }
        }
    }

    @inline(__always)
    func checkDepth(_ depth: Int) throws(JSONError) {
        guard depth < limits.maxDepth else {
            throw JSONError(
                code: .tooDeep, offset: index,
                message: "JSON nested deeper than \(limits.maxDepth) levels at byte \(index)")
        }
    }

    private mutating func parseLiteral(_ literal: StaticString) throws(JSONError) {
        let start = index
        let count = literal.utf8CodeUnitCount
        let expected = literal.utf8Start
        for offset in 0..<count {
            guard start + offset < end else {
                throw unexpectedEnd(expected: "'\(literal)'")
            }
            guard bytes[start + offset] == expected[offset] else {
                throw JSONError(
                    code: .unexpectedCharacter, offset: start,
                    message: "invalid literal at byte \(start): expected '\(literal)'")
            }
        }
        index = start + count
    }

    private func hasPrefix(_ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard end - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != prefix.utf8Start[offset] {
            return false
        }
        return true
    }

    // MARK: - Errors

    @inline(never)
    private func unexpectedEnd(expected: String) -> JSONError {
        JSONError(code: .unexpectedEnd, offset: end, message: "unexpected end of input at byte \(end): expected \(expected)")
    }

    /// An unexpected byte outside strings; reported as invalid UTF-8 when it starts an ill-formed sequence.
    @inline(never)
    private func unexpected(at i: Int, expected: String) -> JSONError {
        if bytes[i] >= 0x80, utf8SequenceLength(at: i) == nil {
            return utf8Error(at: i)
        }
        return JSONError(
            code: .unexpectedCharacter, offset: i,
            message: "unexpected \(Self.describe(bytes[i])) at byte \(i): expected \(expected)")
    }

    private static func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "character '\(printable(byte))'" : "byte 0x\(hex(byte))"
    }

    static func printable(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "<0x\(hex(byte))>"
    }

    static func hex(_ value: some BinaryInteger, digits: Int = 2) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// A key as it would appear in JSON, cut short so a hostile key cannot bloat an error message.
    private static func quoted(_ key: String) -> String {
        let shown = key.count > 64 ? String(key.prefix(64)) + "…" : key
        return JSONValue.string(shown).jsonString
    }
}
