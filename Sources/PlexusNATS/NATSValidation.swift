/// Checks applied to every name the client puts on the wire. NATS is a line protocol with
/// space-separated fields: a subject containing a space or a line end would let a caller (or
/// whoever supplied the subject to the bridge) inject extra protocol operations. A wildcard in a
/// publish subject is refused by the server anyway, and a wildcard in the wrong place of a
/// subscription silently subscribes to more or less than intended, so both are refused here with
/// a message naming the value.
public enum NATSValidation {
    /// A subject a message is published to (also used for reply subjects): no wildcards.
    public static func validatePublishSubject(_ subject: String) throws(NATSClientError) {
        try validateSubject(subject, allowWildcards: false, role: "publish subject")
    }

    /// A subject a subscription listens on: `*` may stand for any whole token, `>` only for the
    /// last one.
    public static func validateSubscribeSubject(_ subject: String) throws(NATSClientError) {
        try validateSubject(subject, allowWildcards: true, role: "subscribe subject")
    }

    public static func validateReplySubject(_ subject: String) throws(NATSClientError) {
        try validateSubject(subject, allowWildcards: false, role: "reply subject")
    }

    public static func validateQueueGroup(_ group: String) throws(NATSClientError) {
        guard !group.isEmpty else {
            throw NATSClientError(.invalidQueueGroup, "queue group name is empty")
        }
        if let bad = group.utf8.first(where: isSeparatorOrControl) {
            throw NATSClientError(.invalidQueueGroup, "queue group \(quoted(group)) contains \(describe(bad))")
        }
    }

    /// RFC 7230 token: the only names a header parser on the other side reliably reads back.
    public static func validateHeaderName(_ name: String) throws(NATSClientError) {
        guard !name.isEmpty else { throw NATSClientError(.invalidHeader, "header name is empty") }
        if let bad = name.utf8.first(where: { !isTokenByte($0) }) {
            throw NATSClientError(.invalidHeader, "header name \(quoted(name)) contains \(describe(bad)), which is not allowed in a header name")
        }
    }

    /// A CR or LF in a value would end the header early and let the rest be read as another
    /// header (header injection); NUL is refused because peers written in C truncate at it.
    public static func validateHeaderValue(_ value: String, name: String) throws(NATSClientError) {
        if let bad = value.utf8.first(where: { $0 == 13 || $0 == 10 || $0 == 0 }) {
            throw NATSClientError(.invalidHeader, "value of header \(quoted(name)) contains \(describe(bad)): \(quoted(value))")
        }
    }

    static func validateSubject(_ subject: String, allowWildcards: Bool, role: String) throws(NATSClientError) {
        guard !subject.isEmpty else { throw NATSClientError(.invalidSubject, "\(role) is empty") }
        if let bad = subject.utf8.first(where: isSeparatorOrControl) {
            throw NATSClientError(.invalidSubject, "\(role) \(quoted(subject)) contains \(describe(bad))")
        }
        let tokens = subject.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for (index, token) in tokens.enumerated() {
            guard !token.isEmpty else {
                throw NATSClientError(.invalidSubject, "\(role) \(quoted(subject)) has an empty token (leading, trailing or double dot)")
            }
            let isStar = token.elementsEqual("*".utf8)
            let isTail = token.elementsEqual(">".utf8)
            guard isStar || isTail else { continue }
            guard allowWildcards else {
                throw NATSClientError(.invalidSubject, "\(role) \(quoted(subject)) contains the wildcard token \(isStar ? "*" : ">"); messages can only be published to concrete subjects")
            }
            if isTail, index != tokens.count - 1 {
                throw NATSClientError(.invalidSubject, "\(role) \(quoted(subject)) has > before its last token; > matches the rest and must come last")
            }
        }
    }

    /// Space, tab, CR, LF, NUL and every other ASCII control character (plus DEL).
    static func isSeparatorOrControl(_ byte: UInt8) -> Bool { byte <= 0x20 || byte == 0x7F }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static func describe(_ byte: UInt8) -> String {
        switch byte {
        case 0x20: return "a space"
        case 0x09: return "a tab"
        case 0x0D: return "a carriage return (CR)"
        case 0x0A: return "a line feed (LF)"
        case 0x00: return "a NUL byte"
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        default:
            let hex = String(byte, radix: 16, uppercase: true)
            return "the control byte 0x\(hex.count == 1 ? "0" + hex : hex)"
        }
    }

    /// The value as a Swift string literal (escaping CR, LF and friends), bounded in length.
    static func quoted(_ value: String) -> String {
        let bounded = value.count > 120 ? String(value.prefix(120)) + "…" : value
        return bounded.debugDescription
    }
}
