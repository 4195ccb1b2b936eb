/// Standard base64 (RFC 4648 §4, with padding), for the mail body, encoded-words and AUTH
/// PLAIN. Hand-written because the target stays free of Foundation and the three uses need
/// nothing more than this.
enum SMTPBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= input.count {
            let n = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out += [sextet(n >> 18), sextet(n >> 12), sextet(n >> 6), sextet(n)]
            index += 3
        }
        switch input.count - index {
        case 1:
            let n = UInt32(input[index]) << 16
            out += [sextet(n >> 18), sextet(n >> 12), UInt8(ascii: "="), UInt8(ascii: "=")]
        case 2:
            let n = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            out += [sextet(n >> 18), sextet(n >> 12), sextet(n >> 6), UInt8(ascii: "=")]
        default:
            break
        }
        return out
    }

    private static func sextet(_ n: UInt32) -> UInt8 {
        alphabet[Int(n & 0x3F)]
    }
}
