/// One complete server reply: a code and its text lines ("250-a", "250-b", "250 c" is code 250
/// with lines a, b, c).
public struct SMTPReply: Sendable, Hashable {
    public var code: Int
    /// The text after the code on each line, control characters already replaced by "?".
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 2xx: the command did what it should.
    public var isPositiveCompletion: Bool { code >= 200 && code < 300 }

    /// The reply as one line for an error message ("550 no such user"), cut to
    /// `SMTPError.maxQuotedReply` characters so that a chatty or hostile server cannot make our
    /// errors (and the logs and API responses they end up in) arbitrarily long.
    public var quoted: String {
        var text = String(code)
        for line in lines where !line.isEmpty {
            text += " " + line
        }
        let limit = SMTPError.maxQuotedReply
        guard text.count > limit else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }
}
