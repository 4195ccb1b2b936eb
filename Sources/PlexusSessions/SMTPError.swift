/// Why an SMTP send failed, in words a person can act on.
///
/// `stage` says how far the conversation got, `code` is the server's reply code when a reply
/// caused the failure, and `permanent` says whether sending the same message again can help:
/// a 5xx reply (or a message we refuse to send at all) is permanent, a 4xx reply, a timeout or a
/// dropped connection is not. The message quotes at most `SMTPError.maxQuotedReply` characters
/// of what the server said, with control characters replaced, so a hostile server cannot flood
/// or forge log lines through it.
public struct SMTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where in the conversation the failure happened.
    public enum Stage: String, Sendable, Hashable {
        /// The message or the client's settings were refused before connecting (an address with
        /// CR/LF or angle brackets, no recipients, a line over 998 octets).
        case invalidInput
        /// The TCP connection could not be opened.
        case connect
        /// The server's greeting was not 220.
        case greeting
        /// Both EHLO and HELO were refused.
        case ehlo
        /// Authentication was refused or is not possible with this server.
        case auth
        /// MAIL FROM was refused.
        case mailFrom
        /// A RCPT TO was refused (no recipient got the message: the send stops before DATA).
        case recipient
        /// DATA, or the message content after it, was refused.
        case data
        /// The overall deadline passed.
        case timeout
        /// The task calling `send` was cancelled; the connection was closed.
        case cancelled
        /// The server broke the protocol (a malformed or oversized reply, or it hung up early).
        case protocolViolation
    }

    /// How many characters of a server reply an error quotes at most.
    public static let maxQuotedReply = 200

    public var stage: Stage
    /// The server's reply code, when a reply caused the failure.
    public var code: Int?
    /// What failed, e.g. "RCPT TO <x@y> refused: 550 no such user".
    public var message: String
    /// True when retrying the same message cannot succeed (a 5xx reply or invalid input).
    public var permanent: Bool

    public init(_ stage: Stage, code: Int? = nil, _ message: String, permanent: Bool) {
        self.stage = stage
        self.code = code
        self.message = message
        self.permanent = permanent
    }

    public var description: String {
        "SMTP \(stage.rawValue) failed: \(message)"
    }
}

extension SMTPError {
    /// A failure caused by `reply` to `what` (e.g. "RCPT TO <x@y>"); permanent for 5xx.
    static func refused(_ stage: Stage, _ what: String, reply: SMTPReply) -> SMTPError {
        SMTPError(
            stage, code: reply.code, "\(what) refused: \(reply.quoted)",
            permanent: reply.code >= 500
        )
    }

    /// Input we refuse to put on the wire; never worth retrying.
    static func invalid(_ message: String) -> SMTPError {
        SMTPError(.invalidInput, message, permanent: true)
    }
}
