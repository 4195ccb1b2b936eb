import Synchronization

/// Messages for one subscription, as an `AsyncSequence` with a single consumer.
///
/// The buffer is bounded (`Configuration.subscriptionBufferCapacity`): a consumer that falls
/// behind loses the newest messages rather than making the client's memory grow without
/// limit or stalling every other subscription on the connection. Losses are counted in
/// `droppedMessages` — core NATS is at-most-once, and the count is how the edge reports it.
///
/// The subscription survives reconnects: the client re-sends it on every new connection and
/// this same sequence keeps yielding. Iteration ends after `unsubscribe()` or `close()`.
public final class NATSSubscription: AsyncSequence, Sendable {
    public typealias Element = NATSMessage
    public typealias AsyncIterator = AsyncStream<NATSMessage>.Iterator

    public let sid: Int
    public let subject: String
    public let queueGroup: String?
    private let stream: AsyncStream<NATSMessage>
    let sink: Sink
    private let client: NATSClient

    /// The producing end, held by the client's routing table.
    final class Sink: Sendable {
        let continuation: AsyncStream<NATSMessage>.Continuation
        let dropped = Atomic<Int>(0)

        init(continuation: AsyncStream<NATSMessage>.Continuation) {
            self.continuation = continuation
        }

        /// False when the message was dropped because the buffer was full.
        func deliver(_ message: NATSMessage) -> Bool {
            switch continuation.yield(message) {
            case .enqueued, .terminated:
                return true
            case .dropped:
                dropped.add(1, ordering: .relaxed)
                return false
            @unknown default:
                return true
            }
        }
    }

    init(sid: Int, subject: String, queueGroup: String?, capacity: Int, client: NATSClient) {
        self.sid = sid
        self.subject = subject
        self.queueGroup = queueGroup
        self.client = client
        let (stream, continuation) = AsyncStream.makeStream(of: NATSMessage.self, bufferingPolicy: .bufferingOldest(capacity))
        self.stream = stream
        self.sink = Sink(continuation: continuation)
        // A consumer that stops iterating (its task cancelled) no longer wants the messages.
        continuation.onTermination = { [weak client] _ in client?.unsubscribe(sid: sid) }
    }

    public func makeAsyncIterator() -> AsyncStream<NATSMessage>.Iterator { stream.makeAsyncIterator() }

    public var droppedMessages: Int { sink.dropped.load(ordering: .relaxed) }

    /// Stops delivery: the server is told (UNSUB) and the sequence ends after the messages it
    /// already holds. Idempotent.
    public func unsubscribe() {
        client.unsubscribe(sid: sid)
    }
}
