extension SMTPConversation {
    /// `text` as a command line: ASCII plus CRLF. Callers only pass validated text.
    static func line(_ text: String) -> [UInt8] {
        Array(text.utf8) + [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
    }

    /// AUTH PLAIN with the initial response (RFC 4616, RFC 4954): base64 of
    /// NUL username NUL password, with no separate authorisation identity.
    static func authPlain(_ credentials: SMTPCredentials) -> [UInt8] {
        let token = [0] + Array(credentials.username.utf8) + [0] + Array(credentials.password.utf8)
        return Array("AUTH PLAIN ".utf8) + SMTPBase64.encode(token) + [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
    }

    /// The message content as it goes after DATA (RFC 5321 §4.5.2): every line end as CRLF,
    /// a dot doubled at the start of each line, a final CRLF if the data lacks one, then the
    /// terminating ".CRLF". The server removes the doubled dots again.
    static func dotStuffed(_ data: [UInt8]) -> [UInt8] {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), dot = UInt8(ascii: ".")
        var out: [UInt8] = []
        out.reserveCapacity(data.count + data.count / 64 + 5)
        var atLineStart = true
        var index = 0
        while index < data.count {
            let byte = data[index]
            if byte == cr || byte == lf {
                out += [cr, lf]
                // CRLF is one line end; so are a bare CR and a bare LF.
                if byte == cr, index + 1 < data.count, data[index + 1] == lf { index += 1 }
                atLineStart = true
            } else {
                if atLineStart, byte == dot { out.append(dot) }
                out.append(byte)
                atLineStart = false
            }
            index += 1
        }
        if !atLineStart { out += [cr, lf] }
        out += [dot, cr, lf]
        return out
    }
}
