import NIOCore
import PlexusCore
import Synchronization

/// Fans accepted messages out to live-stream clients (`/v1/stream`, `/`).
///
/// Each message is serialised once and the same buffer is queued for every matching client.
/// Publishing never blocks on a client; slow clients are ended by their own bounded queue.
public final class StreamHub: Sendable {
    public struct Stats: Sendable, Hashable {
        public var subscribers: Int
        /// Frames queued for clients since start.
        public var delivered: Int
        /// Clients ended because they fell too far behind.
        public var slowClientsClosed: Int
    }

    struct State {
        var subscribers: [StreamSubscription] = []
        var nextID = 1
        var delivered = 0
        var slowClientsClosed = 0
    }

    private let state = Mutex(State())
    /// Frames a client may fall behind before it is ended as too slow.
    public let clientQueueCapacity: Int

    public init(clientQueueCapacity: Int = 4_096) {
        self.clientQueueCapacity = clientQueueCapacity
    }

    public func subscribe(_ filter: StreamFilter) -> StreamSubscription {
        state.withLock { state in
            let subscription = StreamSubscription(id: state.nextID, filter: filter, capacity: clientQueueCapacity)
            state.nextID += 1
            state.subscribers.append(subscription)
            return subscription
        }
    }

    public func unsubscribe(_ subscription: StreamSubscription) {
        subscription.end(.closed)
        state.withLock { state in state.subscribers.removeAll { $0 === subscription } }
    }

    /// Queues each message for every client whose filter matches. `frames[i]` is the serialised
    /// form of `envelopes[i]`.
    public func publish(_ envelopes: [Envelope], frames: [ByteBuffer]) {
        let subscribers = state.withLock { $0.subscribers }
        guard !subscribers.isEmpty else { return }
        var delivered = 0
        var tooSlow: [StreamSubscription] = []
        for (envelope, frame) in zip(envelopes, frames) {
            for subscriber in subscribers where subscriber.filter.matches(envelope) {
                if subscriber.offer(frame) {
                    delivered += 1
                } else {
                    tooSlow.append(subscriber)
                }
            }
        }
        state.withLock { state in
            state.delivered += delivered
            state.slowClientsClosed += tooSlow.count
        }
    }

    /// The topic patterns current clients asked for (`>` for a client without a topic filter,
    /// none for subject-only filters): the interest this node announces to the mesh, so topic
    /// messages from other nodes come here only while someone here wants them.
    public var interestPatterns: [String] {
        let filters = state.withLock { $0.subscribers.map(\.filter) }
        var patterns = Set<String>()
        for filter in filters {
            if let topic = filter.topic { patterns.insert(topic.value) } else if filter.subject == nil { patterns.insert(">") }
        }
        return patterns.sorted()
    }

    /// True when no client is streaming, so ingest can skip preparing frames nobody will read.
    public var isIdle: Bool { state.withLock { $0.subscribers.isEmpty } }

    public var stats: Stats {
        state.withLock { Stats(subscribers: $0.subscribers.count, delivered: $0.delivered, slowClientsClosed: $0.slowClientsClosed) }
    }

    /// Ends every subscription (graceful shutdown).
    public func closeAll() {
        let subscribers = state.withLock { $0.subscribers }
        for subscriber in subscribers { subscriber.end(.closed) }
    }
}
