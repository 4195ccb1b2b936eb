import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Carries out an `SMTPConversation` on one connection and completes `promise` with its
/// outcome: success once the server accepted the message, or the first failure.
///
/// The thin shell around the pure parts: bytes go into `SMTPReplyParser`, replies into the
/// conversation, and its actions come out as writes and a close. It also owns the one overall
/// deadline, which it arms as soon as it is added (before the connect completes), so connect,
/// greeting and every reply share it.
final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var conversation: SMTPConversation
    private var parser = SMTPReplyParser()
    private let promise: EventLoopPromise<Void>
    private let deadline: NIODeadline
    private let timeout: TimeAmount
    private var timeoutTask: Scheduled<Void>?
    private var reported = false

    init(conversation: SMTPConversation, promise: EventLoopPromise<Void>, deadline: NIODeadline, timeout: TimeAmount) {
        self.conversation = conversation
        self.promise = promise
        self.deadline = deadline
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            // After success this only ends a server's slow goodbye; the outcome stands.
            if !reported {
                let ms = timeout.nanoseconds / 1_000_000
                report(.failure(SMTPError(
                    .timeout, "no answer within \(ms) ms: still waiting for \(conversation.awaiting)", permanent: false
                )))
            }
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        // Never leave the caller waiting, whatever tore the pipeline down.
        hungUp("the connection closed")
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let replies: [SMTPReply]
        do {
            replies = try parser.feed(buffer.readableBytesView)
        } catch {
            perform(conversation.onFailure(error), context: context)
            return
        }
        // Without PIPELINING every command gets one reply; a second one in hand before we
        // acted on the first answers a command we never sent.
        if replies.count > 1, !conversation.isDone {
            perform(conversation.onFailure(SMTPError(
                .protocolViolation, "the server sent \(replies.count) replies to one command (\(replies[1].quoted))",
                permanent: false
            )), context: context)
            return
        }
        for reply in replies {
            perform(conversation.onReply(reply), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        hungUp("the server closed the connection")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let text: String
        if let io = error as? IOError {
            text = "the connection failed: " + String(cString: strerror(io.errnoCode))
        } else {
            text = "the connection failed: \(type(of: error))"
        }
        perform(conversation.onFailure(SMTPError(conversation.stage, text, permanent: false)), context: context)
    }

    private func hungUp(_ what: String) {
        guard !reported, !conversation.isDone else { return }
        let error = SMTPError(conversation.stage, "\(what) while waiting for \(conversation.awaiting)", permanent: false)
        if case .fail(let error, _) = conversation.onFailure(error) {
            report(.failure(error))
        }
    }

    private func perform(_ action: SMTPConversation.Action, context: ChannelHandlerContext) {
        switch action {
        case .send(let bytes):
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
        case .succeed(let quit):
            report(.success(()))
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: quit)), promise: nil)
        case .fail(let error, let sendQuit):
            report(.failure(error))
            if sendQuit {
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: SMTPConversation.line("QUIT"))))
                    .whenComplete { _ in channel.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        case .close:
            context.close(promise: nil)
        }
    }

    private func report(_ result: Result<Void, SMTPError>) {
        guard !reported else { return }
        reported = true
        switch result {
        case .success: promise.succeed()
        case .failure(let error): promise.fail(error)
        }
    }
}
