import Foundation
import NIOCore
import NIOPosix
import PlexusSessions
import Synchronization

/// A real SMTP receiver on 127.0.0.1 (port 0) for the client's tests: it speaks the server side
/// of RFC 5321 over TCP and records what arrived, so the tests check the client against the
/// wire rather than against a mock.
///
/// It answers one command at a time, unstuffs the DATA dots and keeps every accepted envelope.
/// `Configuration` makes it refuse recipients, demand AUTH PLAIN, refuse EHLO, or stall.
final class SMTPTestServer: Sendable {
    struct Configuration: Sendable {
        enum Stall: Sendable { case never, beforeGreeting, afterData }

        /// Sent raw when a client connects (unless stalling before it).
        var greeting = "220 test.local ESMTP ready\r\n"
        /// False: EHLO gets 502 and the client must fall back to HELO.
        var supportsEHLO = true
        /// AUTH mechanisms advertised in the EHLO reply (none: no AUTH line at all).
        var authMechanisms: [String] = ["PLAIN", "LOGIN"]
        /// When set, MAIL FROM is refused (530) until AUTH PLAIN with these succeeded.
        var requiredCredentials: SMTPCredentials?
        /// Recipients refused with 550 and `rejectionLines`.
        var rejectedRecipients: Set<String> = []
        /// The text lines of the 550 to a refused recipient (several make a multi-line reply).
        var rejectionLines = ["5.1.1 no such user"]
        /// Advertised SIZE limit; a larger declared SIZE gets 552.
        var maxSize = 1_000_000
        var stall = Stall.never
    }

    struct Envelope: Sendable, Hashable {
        var mailFrom: String
        var mailParameters: String
        var recipients: [String]
        /// The content as the client meant it: dots unstuffed, with its CRLF line ends, without
        /// the terminating ".".
        var data: [UInt8]
        var authenticatedAs: String?
    }

    struct Record: Sendable {
        var envelopes: [Envelope] = []
        /// Every AUTH PLAIN seen (decoded), right or wrong.
        var authAttempts: [SMTPCredentials] = []
        /// Every command line, in arrival order (DATA content excluded).
        var commands: [String] = []
        var connectionsOpened = 0
        var connectionsClosed = 0
    }

    let configuration: Configuration
    private let record = Mutex(Record())
    private let children = Mutex<[any Channel]>([])
    private let serverChannel = Mutex<(any Channel)?>(nil)

    private init(configuration: Configuration) {
        self.configuration = configuration
    }

    static func start(_ configuration: Configuration = Configuration()) async throws -> SMTPTestServer {
        let server = SMTPTestServer(configuration: configuration)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                server.children.withLock { $0.append(child) }
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(SMTPTestServerHandler(server: server))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        server.serverChannel.withLock { $0 = channel }
        return server
    }

    var address: SocketAddress {
        serverChannel.withLock { $0!.localAddress! }
    }

    var recorded: Record { record.withLock { $0 } }

    func update(_ body: (inout Record) -> Void) {
        record.withLock { body(&$0) }
    }

    /// Waits (bounded) until `condition` holds for the record; for events that happen after the
    /// client returned, such as the server seeing the connection close.
    func waitUntil(timeout: Duration = .seconds(5), _ condition: (Record) -> Bool) async throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            if condition(recorded) { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition(recorded)
    }

    func shutdown() async throws {
        for child in children.withLock({ $0 }) {
            try? await child.close()
        }
        try await serverChannel.withLock { $0 }?.close()
    }
}

/// One connection's server side. Lines are cut at LF; DATA content is collected until the lone
/// ".", with each leading dot removed once (RFC 5321 §4.5.2).
final class SMTPTestServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: SMTPTestServer
    private var configuration: SMTPTestServer.Configuration { server.configuration }
    private var buffer: [UInt8] = []
    private var inData = false
    private var mailFrom: (address: String, parameters: String)?
    private var recipients: [String] = []
    private var data: [UInt8] = []
    private var authenticatedAs: String?

    init(server: SMTPTestServer) {
        self.server = server
    }

    func channelActive(context: ChannelHandlerContext) {
        server.update { $0.connectionsOpened += 1 }
        if configuration.stall != .beforeGreeting {
            write(configuration.greeting, context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        server.update { $0.connectionsClosed += 1 }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        buffer += unwrapInboundIn(data).readableBytesView
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = Array(buffer[..<newline])
            buffer.removeSubrange(...newline)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if inData {
                dataLine(line, context: context)
            } else {
                command(String(decoding: line, as: UTF8.self), context: context)
            }
        }
    }

    private func dataLine(_ line: [UInt8], context: ChannelHandlerContext) {
        if line == [UInt8(ascii: ".")] {
            inData = false
            if configuration.stall == .afterData { return }
            let envelope = SMTPTestServer.Envelope(
                mailFrom: mailFrom?.address ?? "", mailParameters: mailFrom?.parameters ?? "",
                recipients: recipients, data: data, authenticatedAs: authenticatedAs
            )
            server.update { $0.envelopes.append(envelope) }
            resetTransaction()
            write("250 2.0.0 queued\r\n", context: context)
            return
        }
        self.data += line.first == UInt8(ascii: ".") ? Array(line.dropFirst()) : line
        self.data += [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
    }

    private func command(_ line: String, context: ChannelHandlerContext) {
        server.update { $0.commands.append(line) }
        let verb = line.split(separator: " ", maxSplits: 1).first.map { $0.uppercased() } ?? ""
        let argument = line.count > verb.count ? String(line.dropFirst(verb.count + 1)) : ""
        switch verb {
        case "EHLO":
            guard configuration.supportsEHLO else { return write("502 5.5.1 EHLO not recognised\r\n", context: context) }
            var lines = ["test.local greets \(argument)", "SIZE \(configuration.maxSize)", "8BITMIME"]
            if !configuration.authMechanisms.isEmpty {
                lines.append("AUTH " + configuration.authMechanisms.joined(separator: " "))
            }
            lines.append("HELP")
            write(multiline(250, lines), context: context)
        case "HELO":
            write("250 test.local\r\n", context: context)
        case "AUTH":
            auth(argument, context: context)
        case "MAIL":
            mail(argument, context: context)
        case "RCPT":
            let address = Self.path(argument, prefix: "TO:")
            if configuration.rejectedRecipients.contains(address) {
                write(multiline(550, configuration.rejectionLines), context: context)
            } else {
                recipients.append(address)
                write("250 2.1.5 ok\r\n", context: context)
            }
        case "DATA":
            guard mailFrom != nil, !recipients.isEmpty else { return write("503 5.5.1 no valid recipients\r\n", context: context) }
            inData = true
            data = []
            write("354 end with <CRLF>.<CRLF>\r\n", context: context)
        case "RSET":
            resetTransaction()
            write("250 2.0.0 ok\r\n", context: context)
        case "NOOP":
            write("250 2.0.0 ok\r\n", context: context)
        case "QUIT":
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "221 2.0.0 bye\r\n")))
                .whenComplete { _ in channel.close(promise: nil) }
        default:
            write("500 5.5.2 command not recognised\r\n", context: context)
        }
    }

    private func auth(_ argument: String, context: ChannelHandlerContext) {
        let parts = argument.split(separator: " ")
        guard parts.count == 2, parts[0].uppercased() == "PLAIN",
              configuration.authMechanisms.contains("PLAIN"),
              let decoded = Data(base64Encoded: String(parts[1]))
        else { return write("501 5.5.4 only AUTH PLAIN with an initial response\r\n", context: context) }
        let fields = decoded.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard fields.count == 3 else { return write("501 5.5.4 malformed AUTH PLAIN\r\n", context: context) }
        let credentials = SMTPCredentials(username: fields[1], password: fields[2])
        server.update { $0.authAttempts.append(credentials) }
        if let required = configuration.requiredCredentials, required != credentials {
            return write("535 5.7.8 authentication credentials invalid\r\n", context: context)
        }
        authenticatedAs = credentials.username
        write("235 2.7.0 authentication succeeded\r\n", context: context)
    }

    private func mail(_ argument: String, context: ChannelHandlerContext) {
        if configuration.requiredCredentials != nil, authenticatedAs == nil {
            return write("530 5.7.0 authentication required\r\n", context: context)
        }
        let address = Self.path(argument, prefix: "FROM:")
        let parameters = argument.firstIndex(of: ">").map { String(argument[argument.index(after: $0)...]).trimmingCharacters(in: .whitespaces) } ?? ""
        if let size = parameters.split(separator: " ").first(where: { $0.uppercased().hasPrefix("SIZE=") }),
           let value = Int(size.dropFirst(5)), value > configuration.maxSize {
            return write("552 5.3.4 message too big\r\n", context: context)
        }
        mailFrom = (address, parameters)
        recipients = []
        write("250 2.1.0 ok\r\n", context: context)
    }

    private func resetTransaction() {
        mailFrom = nil
        recipients = []
        data = []
    }

    /// The address inside "<…>" after `prefix` ("FROM:<a@b> SIZE=1" → "a@b").
    private static func path(_ argument: String, prefix: String) -> String {
        guard argument.uppercased().hasPrefix(prefix),
              let open = argument.firstIndex(of: "<"), let close = argument.firstIndex(of: ">"), open < close
        else { return "" }
        return String(argument[argument.index(after: open)..<close])
    }

    private func multiline(_ code: Int, _ lines: [String]) -> String {
        lines.enumerated().map { offset, text in
            "\(code)\(offset == lines.count - 1 ? " " : "-")\(text)\r\n"
        }.joined()
    }

    private func write(_ text: String, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
    }
}
