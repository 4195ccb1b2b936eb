import NIOCore
import NIOHTTP1

/// Sends the one HTTP request that asks to upgrade a connection to WebSocket; the NIO client
/// upgrader adds the WebSocket headers, and this handler is removed once the upgrade is done.
/// Fails the connection's promise if the server answers with anything but an upgrade.
final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let path: String
    let host: String
    let done: EventLoopPromise<Int>
    private var failed = false

    init(path: String, host: String, done: EventLoopPromise<Int>) {
        self.path = path
        self.host = host
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Reaching here means the server did not upgrade (the upgrader passes refusals on).
        if case .head(let head) = unwrapInboundIn(data) {
            fail(BenchError("WebSocket upgrade to \(path) refused: HTTP \(head.status.code)"), context: context)
        }
    }

    /// Still here when the connection ends: the upgrade never happened.
    func channelInactive(context: ChannelHandlerContext) {
        fail(BenchError("connection to \(path) closed before the WebSocket upgrade"), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        guard !failed else { return }
        failed = true
        done.fail(error)
        context.close(promise: nil)
    }
}
