import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends mail to one SMTP server over SwiftNIO: the `email` channel of human-in-the-loop
/// sessions.
///
/// Deliberately small: one message per connection, no connection reuse, no MX lookup, no
/// retries (the caller's queue decides those, with `SMTPError.permanent` telling it whether to).
/// The caller resolves the server's name and checks the address against its SSRF guard, then
/// passes the address: connecting to exactly that address leaves no room for a second DNS
/// answer to point elsewhere.
///
/// Not supported yet: STARTTLS and implicit TLS (port 465), so the connection, credentials
/// included, is clear text; use it with a relay on a trusted network. SMTPUTF8 and 8BITMIME
/// are not negotiated either (`SMTPMessage.compose` produces 7-bit messages, so neither is
/// needed). The protocol logic sits in `SMTPConversation`, a pure state machine, so adding
/// STARTTLS means one more state there and a TLS handler inserted by the shell (see its notes).
public struct SMTPClient: Sendable {
    private let group: any EventLoopGroup
    private let heloName: String

    /// `heloName` is this host's name as sent in EHLO/HELO (a domain, or an address literal
    /// such as "[127.0.0.1]"); some servers check it against the connecting address.
    public init(group: any EventLoopGroup, heloName: String) {
        self.group = group
        self.heloName = heloName
    }

    /// Delivers `message` to the server at `address`: greeting, EHLO (HELO if the server
    /// refuses EHLO with 5xx), AUTH PLAIN when `credentials` are given, MAIL FROM, one RCPT TO
    /// per recipient, DATA, QUIT.
    ///
    /// Returns once the server accepted the message (the 250 after the content); the QUIT
    /// exchange finishes in the background within the same deadline. Addresses, the HELO name
    /// and line lengths are checked before connecting, so no input can inject commands or
    /// headers. `timeout` bounds the whole exchange, connect included. Cancelling the calling
    /// task closes the connection and throws an error with stage `.cancelled`.
    public func send(
        _ message: SMTPMessage, to address: SocketAddress, credentials: SMTPCredentials?, timeout: Duration
    ) async throws(SMTPError) {
        let conversation = try SMTPConversation(message: message, credentials: credentials, heloName: heloName)
        let amount = TimeAmount(timeout)
        let deadline = NIODeadline.now() + amount
        let loop = group.next()
        let promise = loop.makePromise(of: Void.self)
        let connection = ConnectionBox()

        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(amount)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                // Runs before the connect starts: from here on a cancellation can close it.
                guard connection.register(channel) else {
                    return channel.eventLoop.makeFailedFuture(CancellationError())
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SMTPClientHandler(
                        conversation: conversation, promise: promise, deadline: deadline, timeout: amount
                    ))
                }
            }

        // withTaskCancellationHandler has no typed throws; a Result carries the SMTPError through.
        let result: Result<Void, SMTPError> = await withTaskCancellationHandler {
            do throws(SMTPError) {
                try await Self.run(bootstrap, to: address, promise: promise, timeout: amount)
                return .success(())
            } catch {
                return .failure(error)
            }
        } onCancel: {
            connection.cancel()
        }
        guard case .failure(let error) = result else { return }
        promise.fail(error)
        if Task.isCancelled, error.stage != .timeout {
            throw SMTPError(.cancelled, "the send was cancelled; the connection was closed", permanent: false)
        }
        throw error
    }

    private static func run(
        _ bootstrap: ClientBootstrap, to address: SocketAddress, promise: EventLoopPromise<Void>, timeout: TimeAmount
    ) async throws(SMTPError) {
        do {
            _ = try await bootstrap.connect(to: address).get()
        } catch {
            let reason: SMTPError
            if let channelError = error as? ChannelError, case .connectTimeout = channelError {
                reason = SMTPError(.timeout, "connecting to \(address) timed out after \(timeout.nanoseconds / 1_000_000) ms", permanent: false)
            } else {
                reason = SMTPError(.connect, "connecting to \(address) failed: \(describe(error))", permanent: false)
            }
            // The handler's deadline may have fired first and closed the half-open channel;
            // its timeout says more than the connect error that followed.
            promise.fail(reason)
            do {
                try await promise.futureResult.get()
            } catch let error as SMTPError where error.stage == .timeout {
                throw error
            } catch {}
            throw reason
        }
        do {
            try await promise.futureResult.get()
        } catch let error as SMTPError {
            throw error
        } catch {
            throw SMTPError(.protocolViolation, "unexpected failure: \(type(of: error))", permanent: false)
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        if let connect = error as? NIOConnectionError, let first = connect.connectionErrors.first {
            return describe(first.error)
        }
        return "\(type(of: error))"
    }
}
