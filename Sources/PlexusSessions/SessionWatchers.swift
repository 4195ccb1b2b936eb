import PlexusCore
import Synchronization

/// Who is waiting for a session to change: long-polls and WebSocket pushes. Every stored change
/// is offered here after it is committed; a waiter hears only changes newer than its cursor.
public final class SessionWatchers: Sendable {
    private struct Watcher {
        var id: Int
        var continuation: AsyncStream<HumanSession>.Continuation
    }

    private let state = Mutex<(next: Int, bySession: [String: [Watcher]])>((0, [:]))

    public init() {}

    /// A stream of the session's changes from now on, newest-only buffered (a slow reader skips
    /// intermediate versions, never the latest). Ends when the consumer stops iterating.
    public func watch(_ sessionID: String) -> AsyncStream<HumanSession> {
        let (stream, continuation) = AsyncStream.makeStream(of: HumanSession.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.next += 1
            state.bySession[sessionID, default: []].append(Watcher(id: state.next, continuation: continuation))
            return state.next
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in
                state.bySession[sessionID]?.removeAll { $0.id == id }
                if state.bySession[sessionID]?.isEmpty == true { state.bySession[sessionID] = nil }
            }
        }
        return stream
    }

    func offer(_ session: HumanSession) {
        let watchers = state.withLock { $0.bySession[session.id] ?? [] }
        for watcher in watchers { watcher.continuation.yield(session) }
    }

    /// Ends every watch (node shutdown), so long-polls and pushes return.
    public func finishAll() {
        let all = state.withLock { state in
            defer { state.bySession = [:] }
            return state.bySession.values.flatMap { $0 }
        }
        for watcher in all { watcher.continuation.finish() }
    }
}
