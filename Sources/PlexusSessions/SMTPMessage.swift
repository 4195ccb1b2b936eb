/// One mail to hand to an SMTP server: the envelope (`from`, `to`) and the content.
///
/// The envelope is what servers route by; the From/To headers inside `data` are what readers
/// see. `compose` keeps the two in step for the common case; build one by hand to send a
/// message made elsewhere.
public struct SMTPMessage: Sendable, Hashable {
    /// The envelope sender (MAIL FROM), a bare address without angle brackets.
    public var from: String
    /// The envelope recipients (one RCPT TO each), bare addresses without angle brackets.
    public var to: [String]
    /// The full RFC 5322 message, headers and body, with CRLF line ends and no line over 998
    /// octets. The client adds the dot-stuffing and the final "CRLF . CRLF" itself. Bare LF or
    /// CR line ends are sent as CRLF.
    public var data: [UInt8]

    public init(from: String, to: [String], data: [UInt8]) {
        self.from = from
        self.to = to
        self.data = data
    }
}
