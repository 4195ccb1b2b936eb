import Foundation
import PlexusCore

/// Asking a person and waiting for the answer, as one call.
extension PlexusClient {
    /// Creates the session and waits on its push channel (`WS /v1/sessions/{id}/events`, not
    /// polling) until it is final or `timeout` passes.
    ///
    /// Returns only a `validated` answer. Every other ending is thrown as `PlexusClientError`:
    /// `expired`, `declined` (with `reason`), `rejected`, `failed` (with `replyErrors`), or
    /// `timedOut` — an expiry is never returned as an answer. Connection drops are reconnected
    /// (`Configuration.reconnect`) before giving up.
    ///
    /// The session id is `request.sessionID`, or a new UUID chosen here, so the creation can be
    /// retried safely and the id is known to every error (`error.sessionID`).
    ///
    /// - Parameters:
    ///   - timeout: how long to wait in all, creation included. Give the session an `expiry` too,
    ///     so the node stops asking people when nobody waits any more.
    ///   - rejectOnTimeout: withdraw the question when the wait times out. Off by default: the
    ///     session stays open and can still be answered (and its result message still published)
    ///     after this call gave up. With it on, an answer that raced the timeout is still returned.
    public func sendAndWaitForResponse(
        _ request: SessionRequest,
        timeout: Duration,
        rejectOnTimeout: Bool = false
    ) async throws(PlexusClientError) -> HumanResponse {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var request = request
        let id = request.sessionID ?? UUID().uuidString.lowercased()
        request.sessionID = id

        let created = try await createSession(request)
        if let outcome = created.outcome { return try outcome.get() }

        let final: HumanSessionInfo?
        do {
            final = try await withThrowingTaskGroup(of: HumanSessionInfo?.self) { group in
                group.addTask {
                    var last: HumanSessionInfo?
                    try await watch(id) { last = $0 }
                    return last
                }
                group.addTask {
                    try await Task.sleep(until: deadline, clock: clock)
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
        } catch {
            throw PlexusClientError.wrapping(error)
        }
        // `watch` returns only after a final status, so a session here always has an outcome.
        if let outcome = final?.outcome { return try outcome.get() }
        return try await afterTimeout(id, timeout: timeout, reject: rejectOnTimeout)
    }

    /// The wait is over without a final status. Without `reject`, says so; with it, withdraws the
    /// question, unless the session ended meanwhile, in which case that ending stands.
    func afterTimeout(_ id: String, timeout: Duration, reject: Bool) async throws(PlexusClientError) -> HumanResponse {
        var timedOut = PlexusClientError(.timedOut, "no final answer within \(timeout)", sessionID: id)
        guard reject else { throw timedOut }
        let session: HumanSessionInfo
        do {
            session = try await rejectSession(id, reason: "the asking agent stopped waiting after \(timeout)")
        } catch where error.code == .http && error.status == 409 {
            // Already final: an answer (or an expiry) arrived as the wait ended.
            session = try await self.session(id)
        }
        if session.status == .rejected {
            timedOut.session = session
            throw timedOut
        }
        if let outcome = session.outcome { return try outcome.get() }
        throw timedOut
    }
}
