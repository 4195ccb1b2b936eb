extension SMTPMessage {
    /// Composes a plain-text UTF-8 mail whose headers match the envelope.
    ///
    /// The body goes as base64 so that any text, any line length and any leading dots reach
    /// the reader unchanged through 7-bit servers; every line of the result is ASCII and at
    /// most 78 octets except where a single address is longer. A non-ASCII subject becomes
    /// RFC 2047 encoded-words. CR, LF and other control characters in header values become
    /// spaces, so no value can start a header of its own. `date` is epoch seconds (time is an
    /// input, so the same call always gives the same bytes); `messageID` goes inside angle
    /// brackets, which it should not contain itself (they are dropped if it does).
    public static func compose(
        from: String, to: [String], subject: String, text: String, date: Double, messageID: String
    ) -> SMTPMessage {
        var head = ""
        head += "From: " + headerSafe(from) + "\r\n"
        head += foldedAddressList(name: "To", to.map(headerSafe))
        head += "Subject: " + encodedSubject(headerSafe(subject)) + "\r\n"
        head += "Date: " + SMTPDate.rfc5322(epochSeconds: date) + "\r\n"
        let id = headerSafe(messageID).filter { $0 != "<" && $0 != ">" && $0 != " " }
        head += "Message-ID: <" + id + ">\r\n"
        head += "MIME-Version: 1.0\r\n"
        head += "Content-Type: text/plain; charset=utf-8\r\n"
        head += "Content-Transfer-Encoding: base64\r\n"
        head += "\r\n"

        var data = Array(head.utf8)
        let body = SMTPBase64.encode(crlfNormalised(text))
        var index = body.startIndex
        while index < body.endIndex {
            let end = body.index(index, offsetBy: 76, limitedBy: body.endIndex) ?? body.endIndex
            data += body[index..<end]
            data += [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
            index = end
        }
        return SMTPMessage(from: from, to: to, data: data)
    }

    /// `value` with every control character (CR and LF above all) turned into a space.
    static func headerSafe(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.map { scalar in
            scalar.value < 0x20 || scalar.value == 0x7F ? " " : scalar
        }))
    }

    /// "To: a, b, …" folded after a comma before a line would pass 78 octets.
    private static func foldedAddressList(name: String, _ addresses: [String]) -> String {
        var out = name + ":"
        var lineLength = out.utf8.count
        for (offset, address) in addresses.enumerated() {
            let piece = (offset == 0 ? " " : ", ") + address
            // One octet stays free for the comma that a fold after this address would add.
            if offset > 0, lineLength + piece.utf8.count + 1 > 78 {
                out += ",\r\n " + address
                lineLength = 1 + address.utf8.count
            } else {
                out += piece
                lineLength += piece.utf8.count
            }
        }
        return out + "\r\n"
    }

    /// The subject as is when it is short printable ASCII that no decoder could take for an
    /// encoded-word; otherwise UTF-8 "B" encoded-words of at most 64 characters, one per
    /// folded line, never splitting a character's bytes across two words (RFC 2047 §5).
    static func encodedSubject(_ subject: String) -> String {
        let plain = subject.utf8.allSatisfy { (0x20...0x7E).contains($0) }
        if plain, !subject.contains("=?"), subject.utf8.count <= 68 { return subject }
        // A line holding encoded-words is at most 76 characters (RFC 2047 §2); with "Subject: "
        // in front that leaves 67 for the word: "=?UTF-8?B?" + 52 base64 characters + "?=",
        // and 52 characters carry 39 octets.
        let maxOctets = 39
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in subject.unicodeScalars {
            let octets = Array(String(scalar).utf8)
            if chunk.count + octets.count > maxOctets {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += octets
        }
        if !chunk.isEmpty || words.isEmpty { words.append(encodedWord(chunk)) }
        return words.joined(separator: "\r\n ")
    }

    private static func encodedWord(_ octets: [UInt8]) -> String {
        "=?UTF-8?B?" + String(decoding: SMTPBase64.encode(octets), as: UTF8.self) + "?="
    }

    /// UTF-8 of `text` with every line end (CRLF, CR or LF) as CRLF: the canonical form of
    /// text/plain that the base64 carries.
    static func crlfNormalised(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\r"):
                out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
                previousWasCR = true
            case UInt8(ascii: "\n"):
                if !previousWasCR { out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")] }
                previousWasCR = false
            default:
                out.append(byte)
                previousWasCR = false
            }
        }
        return out
    }
}
