/// A MessagePack value: the encoding of Serf's RPC protocol (`serf members` speaks it to the
/// agent). No Swift MessagePack package is among the project's dependencies and the benchmark needs
/// only maps, strings and integers out, any value in, so this is a small pure codec (house style
/// rule 12): `encode` for requests, `decode` for a stream of responses.
enum MsgPack: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case binary([UInt8])
    case array([MsgPack])
    /// Keys that are not strings (Serf sends none) are kept under their description.
    case map([String: MsgPack])
    case ext(type: Int8, data: [UInt8])

    subscript(key: String) -> MsgPack? {
        if case .map(let fields) = self { fields[key] } else { nil }
    }

    var string: String? {
        switch self {
        case .string(let s): s
        case .binary(let b): String(decoding: b, as: UTF8.self)
        default: nil
        }
    }

    var array: [MsgPack]? { if case .array(let a) = self { a } else { nil } }

    // MARK: - Encoding

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        func be<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
        switch self {
        case .null: out.append(0xC0)
        case .bool(let b): out.append(b ? 0xC3 : 0xC2)
        case .int(let v) where v >= 0: MsgPack.uint(UInt64(v)).write(into: &out)
        case .int(let v) where v >= -32: out.append(UInt8(bitPattern: Int8(v)))
        case .int(let v): out.append(0xD3); be(v)
        case .uint(let v) where v < 0x80: out.append(UInt8(v))
        case .uint(let v) where v <= UInt64(UInt32.max): out.append(0xCE); be(UInt32(v))
        case .uint(let v): out.append(0xCF); be(v)
        case .double(let d): out.append(0xCB); be(d.bitPattern)
        case .string(let s):
            let bytes = Array(s.utf8)
            if bytes.count < 32 { out.append(0xA0 | UInt8(bytes.count)) } else { out.append(0xDB); be(UInt32(bytes.count)) }
            out.append(contentsOf: bytes)
        case .binary(let b): out.append(0xC6); be(UInt32(b.count)); out.append(contentsOf: b)
        case .array(let items):
            out.append(0xDD); be(UInt32(items.count))
            for item in items { item.write(into: &out) }
        case .map(let fields):
            if fields.count < 16 { out.append(0x80 | UInt8(fields.count)) } else { out.append(0xDF); be(UInt32(fields.count)) }
            for key in fields.keys.sorted() {
                MsgPack.string(key).write(into: &out)
                fields[key]!.write(into: &out)
            }
        case .ext(let type, let data): out.append(0xC9); be(UInt32(data.count)); out.append(UInt8(bitPattern: type)); out.append(contentsOf: data)
        }
    }

    // MARK: - Decoding

    enum DecodeError: Error, Equatable {
        /// The bytes end inside a value: read more and try again.
        case needMore
        case malformed(String)
    }

    /// The first value in `bytes` and how many bytes it took, or nil when `bytes` ends inside it.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(DecodeError) -> (value: MsgPack, count: Int)? {
        var reader = Reader(bytes: bytes, offset: bytes.startIndex)
        do {
            let value = try reader.value(depth: 0)
            return (value, reader.offset - bytes.startIndex)
        } catch .needMore {
            return nil
        }
    }

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var offset: Int

        mutating func take(_ n: Int) throws(DecodeError) -> ArraySlice<UInt8> {
            guard n >= 0, bytes.endIndex - offset >= n else { throw .needMore }
            defer { offset += n }
            return bytes[offset..<offset + n]
        }

        mutating func uint(_ n: Int) throws(DecodeError) -> UInt64 {
            var v: UInt64 = 0
            for byte in try take(n) { v = v << 8 | UInt64(byte) }
            return v
        }

        mutating func int(_ n: Int) throws(DecodeError) -> Int64 {
            let raw = try uint(n)
            let shift = UInt64(64 - 8 * n)
            return Int64(bitPattern: raw << shift) >> Int64(shift)
        }

        mutating func value(depth: Int) throws(DecodeError) -> MsgPack {
            guard depth < 64 else { throw .malformed("nesting deeper than 64") }
            let tag = try uint(1)
            switch tag {
            case 0x00...0x7F: return .uint(tag)
            case 0x80...0x8F: return try map(Int(tag & 0x0F), depth)
            case 0x90...0x9F: return try array(Int(tag & 0x0F), depth)
            case 0xA0...0xBF: return .string(String(decoding: try take(Int(tag & 0x1F)), as: UTF8.self))
            case 0xC0: return .null
            case 0xC2: return .bool(false)
            case 0xC3: return .bool(true)
            case 0xC4, 0xC5, 0xC6: return .binary(Array(try take(Int(try uint(1 << Int(tag - 0xC4))))))
            case 0xC7, 0xC8, 0xC9:
                let length = Int(try uint(1 << Int(tag - 0xC7)))
                let type = Int8(truncatingIfNeeded: try int(1))
                return .ext(type: type, data: Array(try take(length)))
            case 0xCA: return .double(Double(Float(bitPattern: UInt32(try uint(4)))))
            case 0xCB: return .double(Double(bitPattern: try uint(8)))
            case 0xCC, 0xCD, 0xCE, 0xCF: return .uint(try uint(1 << Int(tag - 0xCC)))
            case 0xD0, 0xD1, 0xD2, 0xD3: return .int(try int(1 << Int(tag - 0xD0)))
            case 0xD4...0xD8:
                let type = Int8(truncatingIfNeeded: try int(1))
                return .ext(type: type, data: Array(try take(1 << Int(tag - 0xD4))))
            case 0xD9, 0xDA, 0xDB: return .string(String(decoding: try take(Int(try uint(1 << Int(tag - 0xD9)))), as: UTF8.self))
            case 0xDC, 0xDD: return try array(Int(try uint(tag == 0xDC ? 2 : 4)), depth)
            case 0xDE, 0xDF: return try map(Int(try uint(tag == 0xDE ? 2 : 4)), depth)
            case 0xE0...0xFF: return .int(Int64(Int8(bitPattern: UInt8(tag))))
            default: throw .malformed("reserved type byte 0x\(String(tag, radix: 16)) at offset \(offset - 1)")
            }
        }

        mutating func array(_ count: Int, _ depth: Int) throws(DecodeError) -> MsgPack {
            // Each element takes at least one byte: a count beyond the bytes left waits for more.
            guard count <= bytes.endIndex - offset else { throw .needMore }
            var items: [MsgPack] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try value(depth: depth + 1)) }
            return .array(items)
        }

        mutating func map(_ count: Int, _ depth: Int) throws(DecodeError) -> MsgPack {
            guard count <= (bytes.endIndex - offset) / 2 else { throw .needMore }
            var fields: [String: MsgPack] = [:]
            for _ in 0..<count {
                let key = try value(depth: depth + 1)
                let keyText: String = switch key {
                case .string(let s): s
                default: "\(key)"
                }
                fields[keyText] = try value(depth: depth + 1)
            }
            return .map(fields)
        }
    }
}
