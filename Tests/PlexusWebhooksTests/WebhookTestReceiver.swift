import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PlexusCore
import PlexusWebhooks
import Synchronization

/// A real HTTP receiver on 127.0.0.1 for the dispatcher tests: records every request, checks its
/// Standard Webhooks signature with the verifier, and answers what the test scripts.
final class WebhookTestReceiver: Sendable {
    struct Request: Sendable {
        var uri: String
        var headers: HTTPHeaders
        var body: [UInt8]
        /// nil when the signature verified.
        var verificationError: WebhookVerificationError?
    }

    /// What to answer: the status (0: never answer), and a Location header for redirects.
    struct Answer: Sendable {
        var status: Int
        var location: String?
    }

    /// Given the 0-based index of the request, what to answer.
    typealias Script = @Sendable (Int) -> Answer

    /// A page a real internal service might return; it must never show up in a delivery log.
    static let secretPage = "INTERNAL-ONLY response body: do not echo"

    private let channel: any Channel
    private let received: Mutex<[Request]>
    let port: Int

    var requests: [Request] { received.withLock { $0 } }

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.received = Mutex([])
        self.port = port
    }

    /// Listens on 127.0.0.1 (`port` 0: any free one); with `tls`, speaks https.
    static func start(
        port: Int = 0, tls: NIOSSLContext? = nil, verifier: WebhookVerifier, script: @escaping Script
    ) async throws -> WebhookTestReceiver {
        let box = RequestBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(box: box, verifier: verifier, script: script))
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        guard let bound = channel.localAddress?.port else { throw WebhookSendError(.connect, "receiver has no port") }
        let receiver = WebhookTestReceiver(channel: channel, port: bound)
        box.receiver.withLock { $0 = receiver }
        return receiver
    }

    func stop() async throws {
        try await channel.close()
    }

    fileprivate func append(_ request: Request) -> Int {
        received.withLock { requests in
            requests.append(request)
            return requests.count - 1
        }
    }

    /// Lets the handlers reach the receiver, which exists only once the bind finished.
    private final class RequestBox: Sendable {
        let receiver = Mutex<WebhookTestReceiver?>(nil)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let box: RequestBox
        let verifier: WebhookVerifier
        let script: Script
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(box: RequestBox, verifier: WebhookVerifier, script: @escaping Script) {
            self.box = box
            self.verifier = verifier
            self.script = script
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                var failure: WebhookVerificationError?
                do {
                    try verifier.verify(
                        id: head.headers.first(name: "webhook-id"),
                        timestamp: head.headers.first(name: "webhook-timestamp"),
                        signature: head.headers.first(name: "webhook-signature"),
                        body: body, now: WebhookDispatcher.systemNow()
                    )
                } catch {
                    failure = error
                }
                let request = Request(uri: head.uri, headers: head.headers, body: body, verificationError: failure)
                let index = box.receiver.withLock { $0 }?.append(request) ?? 0
                let answer = script(index)
                guard answer.status > 0 else { return }  // hang: the client's deadline must end it
                var headers = HTTPHeaders()
                let page = ByteBuffer(string: WebhookTestReceiver.secretPage)
                headers.add(name: "content-length", value: String(page.readableBytes))
                headers.add(name: "connection", value: "close")
                if let location = answer.location { headers.add(name: "location", value: location) }
                let status = HTTPResponseStatus(statusCode: answer.status)
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(page))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // The client closes as soon as it has the status; resets here are expected.
            context.close(promise: nil)
        }
    }
}
