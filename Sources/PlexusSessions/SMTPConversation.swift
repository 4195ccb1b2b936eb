/// The client side of one SMTP transaction (RFC 5321 §3, §4), as a pure state machine.
///
/// Each server reply goes in through `onReply`, which says what to do next; the NIO handler
/// does it. No sockets, no clocks: the tests walk it reply by reply, and the timeout is the
/// shell's job (it asks `awaiting` what to name in the error).
///
/// One command is in flight at a time (no PIPELINING), so a reply always answers the last
/// command sent. Any refused recipient ends the transaction before DATA, so a message reaches
/// either every recipient or none.
///
/// STARTTLS is not supported yet: mail goes in clear text over TCP. To add it: when EHLO
/// advertises "STARTTLS" (see `extensions`) and TLS is wanted, send STARTTLS from the `.ehlo`
/// state, return a new action `.startTLS` on its 220 for the handler to put a TLS handler in
/// front, then send EHLO again and forget the extensions learnt in clear text.
struct SMTPConversation: Sendable {
    enum Action: Sendable, Hashable {
        /// Write these bytes and wait for the next reply.
        case send([UInt8])
        /// The server took the message: report success, then write these bytes (QUIT) and
        /// wait for the goodbye.
        case succeed(thenSend: [UInt8])
        /// Report this failure; write QUIT first when the server is still in a state to read it
        /// (it refused a command), then close.
        case fail(SMTPError, sendQuit: Bool)
        /// The server said goodbye (or a late reply came): close the connection.
        case close
    }

    private enum State: Sendable, Hashable {
        case greeting
        case ehlo
        case helo
        case auth
        case mailFrom
        case recipient(Int)
        case dataCommand
        case dataBody
        case quit
        case finished
    }

    private let message: SMTPMessage
    private let credentials: SMTPCredentials?
    private let heloName: String
    private var state: State = .greeting
    /// EHLO keywords (upper-cased) and their parameters, as the server advertised them.
    private(set) var extensions: [String: [String]] = [:]

    /// Checks everything that will go on the wire (addresses, HELO name, credentials, line
    /// lengths) so that nothing the caller passed can inject a command or header.
    init(message: SMTPMessage, credentials: SMTPCredentials?, heloName: String) throws(SMTPError) {
        try Self.validate(message: message, credentials: credentials, heloName: heloName)
        self.message = message
        self.credentials = credentials
        self.heloName = heloName
    }

    /// What the client is waiting for, for a timeout or hang-up message.
    var awaiting: String {
        switch state {
        case .greeting: "the server's greeting"
        case .ehlo: "the reply to EHLO"
        case .helo: "the reply to HELO"
        case .auth: "the reply to AUTH PLAIN"
        case .mailFrom: "the reply to MAIL FROM <\(message.from)>"
        case .recipient(let index): "the reply to RCPT TO <\(message.to[index])>"
        case .dataCommand: "the reply to DATA"
        case .dataBody: "the reply to the message content"
        case .quit: "the reply to QUIT"
        case .finished: "nothing"
        }
    }

    /// True once the outcome is known (success or failure): a hang-up is then no news.
    var isDone: Bool { state == .quit || state == .finished }

    mutating func onReply(_ reply: SMTPReply) -> Action {
        switch state {
        case .greeting:
            guard reply.code == 220 else {
                return fail(.refused(.greeting, "the connection", reply: reply), quit: true)
            }
            state = .ehlo
            return .send(Self.line("EHLO \(heloName)"))

        case .ehlo:
            if reply.isPositiveCompletion {
                extensions = Self.extensions(of: reply)
                return afterHello()
            }
            // A 5xx to EHLO means a server that predates it (RFC 5321 §3.2); a 4xx is a
            // temporary refusal that HELO would get too.
            guard reply.code >= 500 else { return fail(.refused(.ehlo, "EHLO", reply: reply), quit: true) }
            state = .helo
            return .send(Self.line("HELO \(heloName)"))

        case .helo:
            guard reply.isPositiveCompletion else { return fail(.refused(.ehlo, "EHLO and HELO", reply: reply), quit: true) }
            extensions = [:]
            return afterHello()

        case .auth:
            guard reply.code == 235 else {
                return fail(.refused(.auth, "AUTH PLAIN for \"\(credentials?.username ?? "")\"", reply: reply), quit: true)
            }
            return sendMailFrom()

        case .mailFrom:
            guard reply.isPositiveCompletion else {
                return fail(.refused(.mailFrom, "MAIL FROM <\(message.from)>", reply: reply), quit: true)
            }
            return sendRecipient(0)

        case .recipient(let index):
            guard reply.isPositiveCompletion else {
                return fail(.refused(.recipient, "RCPT TO <\(message.to[index])>", reply: reply), quit: true)
            }
            if index + 1 < message.to.count { return sendRecipient(index + 1) }
            state = .dataCommand
            return .send(Self.line("DATA"))

        case .dataCommand:
            guard reply.code == 354 else { return fail(.refused(.data, "DATA", reply: reply), quit: true) }
            state = .dataBody
            return .send(Self.dotStuffed(message.data))

        case .dataBody:
            guard reply.isPositiveCompletion else {
                return fail(.refused(.data, "the message content", reply: reply), quit: true)
            }
            state = .quit
            return .succeed(thenSend: Self.line("QUIT"))

        case .quit, .finished:
            state = .finished
            return .close
        }
    }

    /// The server closed the connection (or the parser found its replies malformed).
    mutating func onFailure(_ error: SMTPError) -> Action {
        guard !isDone else {
            state = .finished
            return .close
        }
        state = .finished
        return .fail(error, sendQuit: false)
    }

    /// The stage to blame for a hang-up or timeout in the current state.
    var stage: SMTPError.Stage {
        switch state {
        case .greeting: .greeting
        case .ehlo, .helo: .ehlo
        case .auth: .auth
        case .mailFrom: .mailFrom
        case .recipient: .recipient
        case .dataCommand, .dataBody, .quit, .finished: .data
        }
    }

    private mutating func afterHello() -> Action {
        guard let credentials else { return sendMailFrom() }
        let mechanisms = (extensions["AUTH"] ?? []).map { $0.uppercased() }
        guard mechanisms.contains("PLAIN") else {
            let offered = extensions["AUTH"].map { "only AUTH \($0.joined(separator: " "))" } ?? "no AUTH"
            return fail(SMTPError(
                .auth, "credentials were given but the server offers \(offered), not AUTH PLAIN (STARTTLS is not supported, and many servers offer AUTH only after it)",
                permanent: true
            ), quit: true)
        }
        state = .auth
        return .send(Self.authPlain(credentials))
    }

    private mutating func sendMailFrom() -> Action {
        state = .mailFrom
        var command = "MAIL FROM:<\(message.from)>"
        // Declaring the size lets a server with a limit refuse now rather than after the upload.
        if extensions["SIZE"] != nil { command += " SIZE=\(message.data.count)" }
        return .send(Self.line(command))
    }

    private mutating func sendRecipient(_ index: Int) -> Action {
        state = .recipient(index)
        return .send(Self.line("RCPT TO:<\(message.to[index])>"))
    }

    private mutating func fail(_ error: SMTPError, quit: Bool) -> Action {
        state = .finished
        return .fail(error, sendQuit: quit)
    }

    /// Keywords and parameters of an EHLO reply; the first line is the server's greeting.
    /// "AUTH=PLAIN LOGIN" (the pre-standard form some servers still send) counts as AUTH.
    private static func extensions(of reply: SMTPReply) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            var words = line.split(separator: " ").map(String.init)
            guard !words.isEmpty else { continue }
            var keyword = words.removeFirst().uppercased()
            if keyword.hasPrefix("AUTH=") {
                words.insert(String(keyword.dropFirst(5)), at: 0)
                keyword = "AUTH"
            }
            result[keyword, default: []] += words
        }
        return result
    }
}
