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
        var session: SessionFrames?
        var sessionID = 0
    }

    struct State {
        var inboxes: [String: Inbox] = [:]
        var dropped = 0
        var nextSession = 1
    }

    private let state = Mutex(State())
    public let capacity: Int
    private let acknowledged: (@Sendable (_ subject: String, _ ids: [MessageID]) -> Void)?

    /// - Parameter acknowledged: called for every ack that removed a pending message, and for
    ///   every message dropped beyond `capacity` (the node
    ///   records it in the store, so the message is not restored after a restart).
    public init(capacity: Int = 100_000, acknowledged: (@Sendable (_ subject: String, _ ids: [MessageID]) -> Void)? = nil) {
        self.capacity = capacity
        self.acknowledged = acknowledged
    }

    /// Refills inboxes with what the store held unacknowledged (at start, before sessions),
    /// oldest first; beyond `capacity` per subject the oldest are dropped as in `deliver`.
    public func restore(_ entries: [(subject: String, id: MessageID, frame: ByteBuffer)]) {
        let dropped = state.withLock { state in
            var dropped: [(String, MessageID)] = []
            for entry in entries {
                let inbox = state.inboxes[entry.subject] ?? Inbox()
                state.inboxes[entry.subject] = inbox
                guard inbox.pending[entry.id] == nil else { continue }
                inbox.pending[entry.id] = entry.frame
                inbox.order.append(entry.id)
                dropped += dropOverflow(inbox, subject: entry.subject, &state)
            }
            return dropped
        }
        for (subject, id) in dropped { acknowledged?(subject, [id]) }
    }

    /// Queues `frame` (the message's wire JSON) for every attached subject among `subjects`
    /// and pushes it to connected sessions.
    /// `opening`: subjects homed here whose inbox is created if it does not exist yet.
    public func deliver(_ id: MessageID, to subjects: [String], frame: ByteBuffer, opening: [String] = []) {
        let dropped = state.withLock { state in
            var dropped: [(String, MessageID)] = []
            for subject in opening where state.inboxes[subject] == nil { state.inboxes[subject] = Inbox() }
            for subject in subjects {
                guard let inbox = state.inboxes[subject], inbox.pending[id] == nil else { continue }
                inbox.pending[id] = frame
                inbox.order.append(id)
                dropped += dropOverflow(inbox, subject: subject, &state)
                inbox.session?.push(frame)
            }
            return dropped
        }
        // A dropped message is gone for the subject: its store row goes too, or it would come
        // back at the next start, and rows of a subject nobody reads would pile up.
        for (subject, id) in dropped { acknowledged?(subject, [id]) }
    }

    /// Beyond `capacity` pending messages, the oldest still pending are dropped (and counted).
    /// `order` may hold acked ids not compacted yet: they are skipped, not counted.
    private func dropOverflow(_ inbox: Inbox, subject: String, _ state: inout State) -> [(String, MessageID)] {
        var dropped: [(String, MessageID)] = []
        while inbox.pending.count > capacity, !inbox.order.isEmpty {
            let oldest = inbox.order.removeFirst()
            guard inbox.pending.removeValue(forKey: oldest) != nil else { continue }
            state.dropped += 1
            dropped.append((subject, oldest))
        }
        return dropped
    }

    /// Opens a session for `subject`, replacing any earlier one (which ends): its frames start
    /// with every unacknowledged message, oldest first, then carry new ones.
    func connect(_ subject: String) -> (id: Int, frames: SessionFrames) {
        let frames = SessionFrames()
        let id: Int = state.withLock { state in
            let inbox = state.inboxes[subject] ?? Inbox()
            state.inboxes[subject] = inbox
            inbox.session?.finish()
            inbox.session = frames
            inbox.sessionID = state.nextSession
            state.nextSession += 1
            inbox.order.removeAll { inbox.pending[$0] == nil }
            for id in inbox.order { frames.push(inbox.pending[id]!) }
            return inbox.sessionID
        }
        return (id, frames)
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
        ack(subject, [id]) == 1
    }

    /// The subject acknowledged `ids` (one ack frame): one lock and one report for all of them.
    /// The number that were pending.
    @discardableResult
    public func ack(_ subject: String, _ ids: [MessageID]) -> Int {
        let removed = state.withLock { state -> [MessageID] in
            guard let inbox = state.inboxes[subject] else { return [] }
            let removed = ids.filter { inbox.pending.removeValue(forKey: $0) != nil }
            // `order` is compacted lazily (on connect, or when half of it is acked ids), so an
            // ack stays O(1) amortised.
            if inbox.order.count > 2 * max(inbox.pending.count, 64) { inbox.order.removeAll { inbox.pending[$0] == nil } }
            return removed
        }
        if !removed.isEmpty { acknowledged?(subject, removed) }
        return removed.count
    }

    public var stats: Stats {
        state.withLock { state in
            Stats(subjects: state.inboxes.count, pending: state.inboxes.values.reduce(0) { $0 + $1.pending.count }, dropped: state.dropped)
        }
    }
}
