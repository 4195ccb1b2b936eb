import Foundation
import PlexusSessions
import Testing

@Suite("SMTP message composition")
struct SMTPMessageComposeTests {
    private func compose(subject: String = "Hello", text: String = "Body", date: Double = 0, messageID: String = "id@plexus", to: [String] = ["b@example.org"]) -> (SMTPMessage, [String: String], String) {
        let message = SMTPMessage.compose(from: "a@example.com", to: to, subject: subject, text: text, date: date, messageID: messageID)
        let text = String(decoding: message.data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        // Unfold headers (CRLF + space continues the previous line) before splitting them.
        let head = parts[0].replacingOccurrences(of: "\r\n ", with: " ")
        var headers: [String: String] = [:]
        for line in head.components(separatedBy: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1)
            headers[String(pair[0])] = String(pair[1].dropFirst())
        }
        return (message, headers, parts[1])
    }

    @Test func headersAndEnvelope() {
        let (message, headers, _) = compose(date: 1_764_520_000)
        #expect(message.from == "a@example.com")
        #expect(message.to == ["b@example.org"])
        #expect(headers["From"] == "a@example.com")
        #expect(headers["To"] == "b@example.org")
        #expect(headers["Subject"] == "Hello")
        #expect(headers["Date"] == "Sun, 30 Nov 2025 16:26:40 +0000")
        #expect(headers["Message-ID"] == "<id@plexus>")
        #expect(headers["MIME-Version"] == "1.0")
        #expect(headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(headers["Content-Transfer-Encoding"] == "base64")
    }

    @Test(arguments: [
        (0.0, "Thu, 01 Jan 1970 00:00:00 +0000"),
        (951_782_400.0, "Tue, 29 Feb 2000 00:00:00 +0000"),
        (4_107_542_399.9, "Sun, 28 Feb 2100 23:59:59 +0000"),
        (-1.0, "Wed, 31 Dec 1969 23:59:59 +0000"),
    ])
    func dates(epoch: Double, expected: String) {
        #expect(compose(date: epoch).1["Date"] == expected)
    }

    @Test func nonASCIISubjectBecomesEncodedWords() throws {
        let subject = "Zahlung freigeben? 💶 " + String(repeating: "Größe ", count: 12)
        let (message, headers, _) = compose(subject: subject)
        let encoded = try #require(headers["Subject"])
        let words = encoded.split(separator: " ")
        #expect(words.count > 1)
        var octets = Data()
        for word in words {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            #expect(word.count <= 75)
            let payload = word.dropFirst(10).dropLast(2)
            let piece = try #require(Data(base64Encoded: String(payload)))
            // Each word decodes to whole characters on its own (RFC 2047 §5).
            #expect(String(data: piece, encoding: .utf8) != nil)
            octets += piece
        }
        #expect(String(decoding: octets, as: UTF8.self) == subject)
        #expect(message.data.allSatisfy { $0 < 0x80 })
        let lines = String(decoding: message.data, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
    }

    @Test func headerInjectionIsNeutralised() {
        let (message, headers, _) = compose(subject: "Hi\r\nBcc: victim@example.org", messageID: "<x>\r\nX-Evil: 1")
        let text = String(decoding: message.data, as: UTF8.self)
        #expect(!text.contains("\r\nBcc:"))
        #expect(!text.contains("\r\nX-Evil"))
        #expect(headers["Subject"] == "Hi  Bcc: victim@example.org")
        #expect(headers["Message-ID"] == "<xX-Evil:1>")
    }

    @Test func bodyIsBase64OfCRLFText() throws {
        let text = "Line one\nLine two\r\n.starts with dot\rlast ünïcode " + String(repeating: "long ", count: 400)
        let (message, _, body) = compose(text: text)
        let lines = body.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.allSatisfy { $0.count <= 76 })
        let decoded = try #require(Data(base64Encoded: lines.joined()))
        let expected = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .replacingOccurrences(of: "\n", with: "\r\n")
        #expect(String(decoding: decoded, as: UTF8.self) == expected)
        let allLines = String(decoding: message.data, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(allLines.allSatisfy { $0.utf8.count <= 998 })
    }

    @Test func manyRecipientsAreFolded() {
        let to = (0..<30).map { "user\($0)@example.org" }
        let (message, headers, _) = compose(to: to)
        #expect(headers["To"] == to.joined(separator: ", "))
        let lines = String(decoding: message.data, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
    }
}
