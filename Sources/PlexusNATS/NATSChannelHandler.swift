import NIOCore

/// The thin NIO end of one connection: bytes → `NATSProtocolParser` → the client, and the
/// channel's life (active, inactive, errors) → the client's state machine. Server PINGs are
/// answered here directly: a PONG needs no state and must not wait behind anything.
final class NATSChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let client: NATSClient
    private let connection: UInt64
    private var parser: NATSProtocolParser
    /// The first error seen on this channel, reported as the reason when it goes inactive.
    private var failure: String?

    init(client: NATSClient, connection: UInt64) {
        self.client = client
        self.connection = connection
        self.parser = NATSProtocolParser()
    }

    func channelActive(context: ChannelHandlerContext) {
        client.channelActive(connection: connection, channel: context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        parser.append(unwrapInboundIn(data))
        do {
            while let op = try parser.next() {
                if case .ping = op {
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "PONG\r\n")), promise: nil)
                } else {
                    client.received(op, connection: connection)
                }
            }
        } catch {
            // The framing is lost; nothing later on this connection can be trusted.
            failure = failure ?? error.description
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.connectionLost(connection: connection, reason: failure ?? "connection closed")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failure = failure ?? "\(error)"
        context.close(promise: nil)
    }
}
