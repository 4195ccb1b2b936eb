extension SMTPConversation {
    /// RFC 5321 §4.5.3.1: a path is at most 256 octets with its brackets.
    static let maxAddressLength = 254
    /// RFC 5321 §4.5.3.1.8 makes 100 the recipients a server must take; more may be refused.
    static let maxRecipients = 100
    /// RFC 5322 §2.1.1: a line is at most 998 octets before its CRLF.
    static let maxDataLineLength = 998

    static func validate(message: SMTPMessage, credentials: SMTPCredentials?, heloName: String) throws(SMTPError) {
        try validateAddress(message.from, role: "sender")
        guard !message.to.isEmpty else { throw .invalid("the message has no recipients") }
        guard message.to.count <= maxRecipients else {
            throw .invalid("the message has \(message.to.count) recipients; at most \(maxRecipients) are sent in one transaction")
        }
        for recipient in message.to {
            try validateAddress(recipient, role: "recipient")
        }
        try validateHeloName(heloName)
        if let credentials {
            guard !credentials.username.isEmpty else { throw .invalid("the SMTP username is empty") }
            // NUL separates the fields of AUTH PLAIN; one inside a field would shift them.
            guard !credentials.username.utf8.contains(0), !credentials.password.utf8.contains(0) else {
                throw .invalid("the SMTP username or password contains a NUL character")
            }
        }
        try validateLineLengths(message.data)
    }

    /// An envelope address must be a single token of printable ASCII without angle brackets:
    /// CR/LF would end the command early and start one of the caller's choosing, `>` would end
    /// the path early and smuggle in parameters. Internationalised addresses (SMTPUTF8) are not
    /// supported.
    static func validateAddress(_ address: String, role: String) throws(SMTPError) {
        let shown = shown(address)
        guard !address.isEmpty else { throw .invalid("the \(role) address is empty") }
        let bytes = address.utf8
        if bytes.contains(UInt8(ascii: "\r")) || bytes.contains(UInt8(ascii: "\n")) {
            throw .invalid("the \(role) address \"\(shown)\" contains CR or LF")
        }
        if bytes.contains(UInt8(ascii: "<")) || bytes.contains(UInt8(ascii: ">")) {
            throw .invalid("the \(role) address \"\(shown)\" contains '<' or '>'; give the bare address")
        }
        if bytes.contains(where: { $0 >= 0x80 }) {
            throw .invalid("the \(role) address \"\(shown)\" is not ASCII (SMTPUTF8 is not supported)")
        }
        if bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            throw .invalid("the \(role) address \"\(shown)\" contains a space or control character")
        }
        guard bytes.count <= maxAddressLength else {
            throw .invalid("the \(role) address \"\(shown)\" is longer than \(maxAddressLength) octets")
        }
    }

    static func validateHeloName(_ name: String) throws(SMTPError) {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= 255,
              bytes.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") })
        else {
            throw .invalid("the HELO name \"\(shown(name))\" is not a domain or address literal")
        }
    }

    static func validateLineLengths(_ data: [UInt8]) throws(SMTPError) {
        var length = 0
        for byte in data {
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                length = 0
            } else {
                length += 1
                if length > maxDataLineLength {
                    throw .invalid("the message has a line longer than \(maxDataLineLength) octets")
                }
            }
        }
    }

    /// Caller input quoted in an error: controls made visible, cut to 100 characters.
    private static func shown(_ text: String) -> String {
        let visible = SMTPReplyParser.text(text.utf8.prefix(100))
        return text.utf8.count > 100 ? visible + "…" : visible
    }
}
