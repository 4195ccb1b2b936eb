/// Appends big-endian integers, varints and length-prefixed strings: the mesh wire format and the
/// bytes registry signatures cover.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    public mutating func u32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    public mutating func u64(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    /// LEB128: small counters and incarnations take one or two bytes.
    public mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func string(_ s: String) { blob(Array(s.utf8)) }

    public mutating func blob(_ b: [UInt8]) {
        varint(UInt64(b.count))
        bytes.append(contentsOf: b)
    }

    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    /// Encoded size of a varint, for size accounting without encoding.
    public static func varintSize(_ v: UInt64) -> Int {
        var n = 1
        var v = v
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }

    public static func blobSize(_ count: Int) -> Int { varintSize(UInt64(count)) + count }
}

/// Reads what `ByteWriter` wrote. Every read checks bounds and throws `MeshWireError` naming the
/// field, so a hostile or truncated frame is an error, never a crash.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    private mutating func take(_ n: Int, _ field: StaticString) throws(MeshWireError) -> ArraySlice<UInt8> {
        guard n >= 0, remaining >= n else { throw MeshWireError(.truncated, field: field, offset: offset) }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    public mutating func u8(_ field: StaticString) throws(MeshWireError) -> UInt8 { try take(1, field).first! }

    public mutating func u16(_ field: StaticString) throws(MeshWireError) -> UInt16 {
        try take(2, field).reduce(0) { $0 << 8 | UInt16($1) }
    }

    public mutating func u32(_ field: StaticString) throws(MeshWireError) -> UInt32 {
        try take(4, field).reduce(0) { $0 << 8 | UInt32($1) }
    }

    public mutating func u64(_ field: StaticString) throws(MeshWireError) -> UInt64 {
        try take(8, field).reduce(0) { $0 << 8 | UInt64($1) }
    }

    public mutating func varint(_ field: StaticString) throws(MeshWireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try u8(field)
            if shift == 63, byte > 1 { throw MeshWireError(.overflow, field: field, offset: offset - 1) }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw MeshWireError(.overflow, field: field, offset: offset - 1) }
        }
    }

    /// A monotonic number (incarnation, generation, version counter) from a peer. Values from
    /// 2^62 up are refused: nothing honest gets near them, and a peer that sends `UInt64.max`
    /// must not be able to make a node trap when it adds one, or outbid every future refutation.
    public mutating func counter(_ field: StaticString) throws(MeshWireError) -> UInt64 {
        let start = offset
        let value = try varint(field)
        guard value < 1 << 62 else { throw MeshWireError(.badValue, field: field, offset: start) }
        return value
    }

    /// A count that must be plausible for the bytes left (each element takes at least `minSize`),
    /// so a forged count cannot make the decoder reserve gigabytes.
    public mutating func count(_ field: StaticString, minSize: Int = 1) throws(MeshWireError) -> Int {
        let start = offset
        let n = try varint(field)
        guard n <= UInt64(remaining / max(minSize, 1)) else { throw MeshWireError(.badCount, field: field, offset: start) }
        return Int(n)
    }

    public mutating func blob(_ field: StaticString, max limit: Int = 1 << 20) throws(MeshWireError) -> [UInt8] {
        let start = offset
        let n = try count(field)
        guard n <= limit else { throw MeshWireError(.tooLong, field: field, offset: start) }
        return Array(try take(n, field))
    }

    public mutating func string(_ field: StaticString, max limit: Int = 4_096) throws(MeshWireError) -> String {
        let start = offset
        let raw = try blob(field, max: limit)
        guard let s = String(validating: raw, as: UTF8.self) else { throw MeshWireError(.badUTF8, field: field, offset: start) }
        return s
    }
}

/// A malformed mesh frame: what was wrong, in which field, at which byte.
public struct MeshWireError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case truncated, overflow, badCount, tooLong, badUTF8, unknownType, unsupportedVersion, trailingBytes, badValue
    }

    public var code: Code
    public var field: String
    public var offset: Int

    public init(_ code: Code, field: StaticString, offset: Int) {
        self.code = code
        self.field = "\(field)"
        self.offset = offset
    }

    public var description: String { "bad mesh frame: \(code.rawValue) in \(field) at byte \(offset)" }
}
