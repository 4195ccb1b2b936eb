import NIOCore
import NIOWebSocket

/// Counts the data frames a live-stream connection receives, on the event loop, with no async
/// hand-off per frame, then closes the connection once it has them all. The fan-out clients run
/// in the node's process, so the cheaper they are the more of the two cores the node gets.
final class StreamFrameCounter: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    let expected: Int
    let done: EventLoopPromise<Int>
    let onComplete: @Sendable () -> Void
    private var count = 0
    private var finished = false

    init(expected: Int, done: EventLoopPromise<Int>, onComplete: @escaping @Sendable () -> Void) {
        self.expected = expected
        self.done = done
        self.onComplete = onComplete
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            count += 1
            if count == expected {
                onComplete()
                finish()
                context.close(promise: nil)
            }
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        done.succeed(count)
    }
}
