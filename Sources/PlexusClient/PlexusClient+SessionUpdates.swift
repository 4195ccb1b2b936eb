import PlexusCore

/// The push channel of one session: `WS /v1/sessions/{id}/events`, reconnected when it drops.
extension PlexusClient {
    /// Every change of a session, in order, starting with its current state; finishes after the
    /// first final status.
    ///
    /// The node sends the session on connect and after each change, and closes after a final
    /// status. When the connection drops first, this reopens it (`Configuration.reconnect`); since
    /// the node starts each connection with the current state, no final status is missed, and
    /// versions already delivered are not delivered twice. Intermediate versions that happened
    /// while disconnected are skipped: only the latest state matters.
    ///
    /// - Returns: a stream that throws `PlexusClientError`: `http` 404 for an unknown session (no
    ///   retry), or the last connection error once the reconnect attempts are used up.
    public func sessionUpdates(_ id: String) -> AsyncThrowingStream<HumanSessionInfo, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: HumanSessionInfo.self, throwing: (any Error).self)
        let client = self
        let task = Task {
            do throws(PlexusClientError) {
                try await client.watch(id) { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The reconnecting watch loop behind `sessionUpdates`: calls `deliver` with each new version
    /// and returns after delivering a final status.
    func watch(_ id: String, deliver: (HumanSessionInfo) -> Void) async throws(PlexusClientError) {
        let path = "/v1/sessions/\(Self.segment(id))/events"
        var delivered: Int64 = -1
        var failures = 0
        var generator = SystemRandomNumberGenerator()
        while true {
            let failure: PlexusClientError
            do {
                for try await json in webSocketFrames(path) {
                    let info = try HumanSessionInfo(json: json)
                    // A frame means the connection works: the next drop starts the backoff afresh.
                    failures = 0
                    guard info.version > delivered else { continue }
                    delivered = info.version
                    deliver(info)
                    if info.status.isFinal { return }
                }
                failure = PlexusClientError(.webSocketClosed, "the node closed the session's event stream before a final status")
            } catch {
                failure = PlexusClientError.wrapping(error)
            }
            guard failure.isRetryable else {
                var error = failure
                if error.sessionID == nil { error.sessionID = id }
                throw error
            }
            failures += 1
            guard let delay = configuration.reconnect.delay(attempt: failures, jitter: Double.random(in: 0..<1, using: &generator)) else {
                var error = failure
                error.sessionID = id
                error.message += " (gave up after \(failures - 1) reconnections)"
                throw error
            }
            configuration.logger.debug("session event stream dropped; reconnecting", metadata: [
                "plexus.session_id": .string(id), "plexus.attempt": .stringConvertible(failures), "plexus.error": .string(failure.message),
            ])
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw PlexusClientError.wrapping(error)
            }
        }
    }
}
