import NIOCore

/// Round trips: flush barriers and request/reply.
extension NATSClient {
    /// Waits until the server has processed everything published before the call (a PING
    /// answered by PONG — the server handles a connection's operations in order). While
    /// reconnecting it waits for the connection, bounded by `timeout`.
    public func flush(timeout: Duration = .seconds(10)) async throws {
        let promise = loop.makePromise(of: Void.self)
        let id: UInt64
        do {
            id = try drive { s throws(NATSClientError) in
                let id = s.nextFlushID
                s.nextFlushID += 1
                let actions = try s.machine.flushRequested(id: id)
                s.flushes[id] = promise
                return (actions, id)
            }
        } catch {
            promise.fail(error)
            throw error
        }
        let timer = loop.scheduleTask(in: TimeAmount(timeout)) { [self] in
            let pending = state.withLock { $0.flushes.removeValue(forKey: id) }
            pending?.fail(NATSClientError(.timeout, "flush not answered within \(timeout)"))
        }
        defer { timer.cancel() }
        try await promise.futureResult.get()
    }

    /// Publishes with a reply subject under this client's inbox and waits for the first reply.
    /// A subject nobody subscribes to fails at once with `.noResponders` (the server answers
    /// with status 503); otherwise `.timeout` after `timeout`.
    public func request(
        _ payload: ByteBuffer, subject: String, headers: NATSHeaders? = nil, timeout: Duration = .seconds(5)
    ) async throws -> NATSMessage {
        try NATSValidation.validatePublishSubject(subject)
        let inbox = try ensureInbox()
        let token = Self.randomToken(length: 12)
        let promise = loop.makePromise(of: NATSMessage.self)
        state.withLock { $0.requests[token] = PendingRequest(promise: promise, subject: subject) }
        do {
            try publish(payload, subject: subject, replyTo: inbox + "." + token, headers: headers)
        } catch {
            state.withLock { _ = $0.requests.removeValue(forKey: token) }
            promise.fail(error)
            throw error
        }
        let timer = loop.scheduleTask(in: TimeAmount(timeout)) { [self] in
            let pending = state.withLock { $0.requests.removeValue(forKey: token) }
            pending?.promise.fail(NATSClientError(.timeout, "no reply on \(subject) within \(timeout)"))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: { [self] in
            let pending = state.withLock { $0.requests.removeValue(forKey: token) }
            pending?.promise.fail(NATSClientError(.cancelled, "request on \(subject) cancelled"))
        }
    }

    /// One wildcard subscription (`<prefix>.<random>.*`) serves every request of this client:
    /// a SUB per request would double the round trips. Like any subscription it is re-sent
    /// after a reconnect.
    private func ensureInbox() throws(NATSClientError) -> String {
        try drive { s throws(NATSClientError) in
            if let inbox = s.inbox { return ([], inbox.prefix) }
            let prefix = configuration.inboxPrefix + "." + Self.randomToken(length: 22)
            let (sid, actions) = try s.machine.subscribe(subject: prefix + ".*", queueGroup: nil)
            s.inbox = Inbox(prefix: prefix, sid: sid)
            return (actions, prefix)
        }
    }

    static func randomToken(length: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var rng = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
    }
}
