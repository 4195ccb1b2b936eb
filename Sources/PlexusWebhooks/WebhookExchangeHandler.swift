import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends one request when the connection is up and completes `promise` with the status of the
/// first final response head, then closes the connection.
///
/// The response body is never read: nothing past the head is buffered, and the status code is
/// all that reaches the delivery log. That keeps a hostile receiver from stuffing our logs or
/// memory, and keeps internal pages (were the guard ever bypassed) from being echoed anywhere.
/// A `Location` header is ignored: redirects are never followed.
final class WebhookExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let body: ByteBuffer
    private let promise: EventLoopPromise<Int>
    private let timeout: TimeAmount
    private var timeoutTask: Scheduled<Void>?
    private var done = false

    init(head: HTTPRequestHead, body: ByteBuffer, promise: EventLoopPromise<Int>, timeout: TimeAmount) {
        self.head = head
        self.body = body
        self.promise = promise
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // One deadline for connect, TLS handshake, upload and response head together.
        let timeout = self.timeout
        timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            finish(.failure(WebhookSendError(.timeout, "no response within \(timeout.nanoseconds / 1_000_000) ms")), context: context)
        }
        if context.channel.isActive { sendRequest(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        // Never leave the caller waiting, whatever tore the pipeline down.
        if !done {
            done = true
            promise.fail(WebhookSendError(.exchange, "the connection closed before a response"))
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendRequest(context: context)
        context.fireChannelActive()
    }

    private func sendRequest(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let response) = unwrapInboundIn(data) else { return }
        let code = Int(response.status.code)
        // 1xx (100 Continue, 103 Early Hints) precede the real answer; 101 would be an upgrade
        // we never asked for, so it counts as an answer (a failure).
        if code >= 100, code < 200, code != 101 { return }
        finish(.success(code), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(WebhookSendError(.exchange, "the connection closed before a response")), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(WebhookSendError(.exchange, Self.describe(error))), context: context)
    }

    private func finish(_ result: Result<Int, WebhookSendError>, context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        timeoutTask?.cancel()
        switch result {
        case .success(let code): promise.succeed(code)
        case .failure(let error): promise.fail(error)
        }
        context.close(promise: nil)
    }

    /// Error text for the delivery log: the error's type and description, which for NIO, NIOSSL
    /// and POSIX errors say what failed (handshake, certificate, reset) and hold no peer data.
    static func describe(_ error: any Error) -> String {
        if let sendError = error as? WebhookSendError { return sendError.message }
        // NIO's IOError text ("connection reset (error set): ...") misleads for a refused
        // connect; the errno's own text says it plainly.
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(type(of: error)): \(error)"
    }
}
