/// Cuts a stream of bytes from an SMTP server into replies (RFC 5321 §4.2).
///
/// Pure and incremental: feed whatever the socket delivered, get back the replies completed by
/// it. Memory is bounded: a line longer than `maxLineLength` octets or a reply of more than
/// `maxLines` lines is a protocol violation rather than something to buffer. Bare LF line ends
/// are accepted (some test servers send them); a trailing CR is dropped.
public struct SMTPReplyParser: Sendable {
    /// RFC 5321 caps a reply line at 512 octets; we allow real servers some slack.
    public let maxLineLength: Int
    /// An EHLO reply has one line per extension; a hundred is far beyond any real server.
    public let maxLines: Int

    private var line: [UInt8] = []
    private var code: Int?
    private var lines: [String] = []

    public init(maxLineLength: Int = 1000, maxLines: Int = 100) {
        self.maxLineLength = maxLineLength
        self.maxLines = maxLines
    }

    /// True when part of a reply has arrived and the rest has not: the server is mid-reply.
    public var hasPartialReply: Bool { !line.isEmpty || code != nil }

    /// Consumes `bytes` and returns the replies they complete, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(SMTPError) -> [SMTPReply] {
        var replies: [SMTPReply] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                guard line.count <= maxLineLength else { throw Self.tooLong(maxLineLength) }
                if let reply = try takeLine() { replies.append(reply) }
                line.removeAll(keepingCapacity: true)
            } else {
                // One octet more than the limit: room for the CR of the CRLF.
                guard line.count <= maxLineLength else { throw Self.tooLong(maxLineLength) }
                line.append(byte)
            }
        }
        return replies
    }

    /// Interprets the finished line in `line`; returns a reply when it was the last line of one.
    private mutating func takeLine() throws(SMTPError) -> SMTPReply? {
        guard line.count >= 3,
              let lineCode = Self.code(line[0], line[1], line[2])
        else {
            throw Self.violation("a reply line without a 3-digit code: \"\(Self.text(line.prefix(40)))\"")
        }
        if let code, code != lineCode {
            throw Self.violation("a multi-line reply whose code changed from \(code) to \(lineCode)")
        }
        let isLast: Bool
        if line.count == 3 {
            isLast = true
        } else if line[3] == UInt8(ascii: " ") {
            isLast = true
        } else if line[3] == UInt8(ascii: "-") {
            isLast = false
        } else {
            throw Self.violation("a reply line with \"\(Self.text(line[3...3]))\" after the code")
        }
        guard lines.count < maxLines else {
            throw Self.violation("a reply of more than \(maxLines) lines")
        }
        lines.append(line.count > 4 ? Self.text(line[4...]) : "")
        if isLast {
            let reply = SMTPReply(code: lineCode, lines: lines)
            code = nil
            lines = []
            return reply
        }
        code = lineCode
        return nil
    }

    private static func code(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int? {
        let zero = UInt8(ascii: "0")
        guard (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(a),
              (zero...UInt8(ascii: "9")).contains(b),
              (zero...UInt8(ascii: "9")).contains(c)
        else { return nil }
        return Int(a - zero) * 100 + Int(b - zero) * 10 + Int(c - zero)
    }

    /// Reply text as a String with every byte outside printable ASCII shown as "?": what the
    /// server says ends up in errors and logs, where escape sequences and newlines do harm.
    static func text(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    private static func tooLong(_ limit: Int) -> SMTPError {
        violation("a reply line longer than \(limit) octets")
    }

    private static func violation(_ what: String) -> SMTPError {
        SMTPError(.protocolViolation, "the server sent \(what)", permanent: false)
    }
}
