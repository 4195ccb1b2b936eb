import NIOCore
import PlexusCore
import Synchronization

/// Messages for subjects attached to this node (`/v1/subjects/{id}/session`), held until the
/// subject acknowledges each one: what arrives while it is away, and what it received but did
/// not ack before its connection dropped, is delivered (again) when it reconnects.
///
/// One inbox per subject, bounded (`capacity`, oldest dropped and counted beyond it). The node
/// writes each message for a subject homed here to the store's inbox table in the same
/// transaction as its log row, tells the store of every ack (`acknowledged`), and refills the
/// inboxes from the store at start (`restore`): a restart between delivery and ack loses nothing.
public final class SubjectInboxes: Sendable {
    public struct Stats: Sendable, Hashable {
        public var subjects: Int
        public var pending: Int
        public var dropped: Int
    }

    /// One subject's unacknowledged messages and its connected session, if any.
    final class Inbox: @unchecked Sendable {
        // @unchecked: every field is touched only under `SubjectInboxes.state`'s lock.
        var pending: [MessageID: ByteBuffer] = [:]
        var order: [MessageID] = []
        var session: AsyncStream<ByteBuffer>.Continuation?
        var sessionID = 0
    }

    struct State {
        var inboxes: [String: Inbox] = [:]
        var dropped = 0
        var nextSession = 1
    }

    private let state = Mutex(State())
    public let capacity: Int
    private let acknowledged: (@Sendable (_ subject: String, _ id: MessageID) -> Void)?

    /// - Parameter acknowledged: called for every ack that removed a pending message (the node
    ///   records it in the store, so the message is not restored after a restart).
    public init(capacity: Int = 100_000, acknowledged: (@Sendable (_ subject: String, _ id: MessageID) -> Void)? = nil) {
        self.capacity = capacity
        self.acknowledged = acknowledged
    }

    /// Refills inboxes with what the store held unacknowledged (at start, before sessions).
    public func restore(_ entries: [(subject: String, id: MessageID, frame: ByteBuffer)]) {
        state.withLock { state in
            for entry in entries {
                let inbox = state.inboxes[entry.subject] ?? Inbox()
                state.inboxes[entry.subject] = inbox
                guard inbox.pending[entry.id] == nil else { continue }
                inbox.pending[entry.id] = entry.frame
                inbox.order.append(entry.id)
            }
        }
    }

    /// Whether `subject` is attached here (has had a session since start).
    public func isAttached(_ subject: String) -> Bool {
        state.withLock { $0.inboxes[subject] != nil }
    }

    /// Queues `frame` (the message's wire JSON) for every attached subject among `subjects`
    /// and pushes it to connected sessions.
    /// `opening`: subjects homed here whose inbox is created if it does not exist yet.
    public func deliver(_ id: MessageID, to subjects: [String], frame: ByteBuffer, opening: [String] = []) {
        state.withLock { state in
            for subject in opening where state.inboxes[subject] == nil { state.inboxes[subject] = Inbox() }
            for subject in subjects {
                guard let inbox = state.inboxes[subject], inbox.pending[id] == nil else { continue }
                inbox.pending[id] = frame
                inbox.order.append(id)
                if inbox.order.count > capacity, let oldest = inbox.order.first {
                    inbox.order.removeFirst()
                    inbox.pending[oldest] = nil
                    state.dropped += 1
                }
                inbox.session?.yield(frame)
            }
        }
    }

    /// Opens a session for `subject`, replacing any earlier one (which ends): the stream starts
    /// with every unacknowledged message, oldest first, then carries new ones.
    public func connect(_ subject: String) -> (id: Int, frames: AsyncStream<ByteBuffer>) {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .unbounded)
        let id: Int = state.withLock { state in
            let inbox = state.inboxes[subject] ?? Inbox()
            state.inboxes[subject] = inbox
            inbox.session?.finish()
            inbox.session = continuation
            inbox.sessionID = state.nextSession
            state.nextSession += 1
            inbox.order.removeAll { inbox.pending[$0] == nil }
            for id in inbox.order { continuation.yield(inbox.pending[id]!) }
            return inbox.sessionID
        }
        return (id, stream)
    }

    public func disconnect(_ subject: String, session: Int) {
        state.withLock { state in
            guard let inbox = state.inboxes[subject], inbox.sessionID == session else { return }
            inbox.session?.finish()
            inbox.session = nil
        }
    }

    /// The subject acknowledged `id`: it is not delivered again. False if it was not pending.
    @discardableResult
    public func ack(_ subject: String, _ id: MessageID) -> Bool {
        let removed = state.withLock { state in
            guard let inbox = state.inboxes[subject], inbox.pending.removeValue(forKey: id) != nil else { return false }
            // `order` is compacted lazily (on connect), so an ack stays O(1).
            if inbox.order.count > 2 * max(inbox.pending.count, 64) { inbox.order.removeAll { inbox.pending[$0] == nil } }
            return true
        }
        if removed { acknowledged?(subject, id) }
        return removed
    }

    public var stats: Stats {
        state.withLock { state in
            Stats(subjects: state.inboxes.count, pending: state.inboxes.values.reduce(0) { $0 + $1.pending.count }, dropped: state.dropped)
        }
    }
}
