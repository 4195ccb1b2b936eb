import NIOCore

/// The life of a NATS connection as a value: dial → INFO → CONNECT+subscriptions+PING → PONG →
/// connected → (lost → backoff → dial again …) → closed. Each event returns the actions to take;
/// the shell (`NATSClient`) performs them. No channel, no clock, no global randomness: timers are
/// actions whose firing comes back as events, and jitter comes from the RNG passed in. Tests
/// drive it directly (see `NATSConnectionStateMachineTests`).
///
/// It also owns the outbound byte buffer. While connected, publishes and PINGs are appended
/// and the shell drains them in batches; while not connected the same buffer holds publishes up
/// to `maxPendingBytes`, and is drained after the next handshake — behind the CONNECT and the
/// re-sent SUBs, so a buffered publish never reaches the server before the subscriptions.
public struct NATSConnectionStateMachine: Sendable {
    public let configuration: Configuration
    private(set) var state: State = .idle
    public private(set) var status: NATSConnectionStatus = .idle
    /// The latest INFO: `max_payload` bounds publishes.
    public private(set) var serverInfo: NATSServerInfo?
    public private(set) var lastError: String?
    public private(set) var reconnects = 0
    public private(set) var messagesOut = 0

    private var everConnected = false
    private var failedAttempts = 0
    private var nextConnectionID: UInt64 = 1
    private var nextSID = 1
    private var subscriptions: [Int: Subscription] = [:]
    private var outbound = ByteBuffer()
    private var drainScheduled = false
    private var pings = CircularBuffer<Ping>()
    private var pendingFlushes: [UInt64] = []
    private var outstandingKeepAlives = 0
    /// PINGs appended to `outbound` and not yet taken by a drain. If the connection is lost they
    /// stay in the buffer and go out on the next connection, where their PONGs must be matched.
    private var pingsInOutbound = 0

    public init(configuration: Configuration) {
        precondition(!configuration.servers.isEmpty, "NATSClient.Configuration.validate() refuses an empty server list")
        self.configuration = configuration
    }

    /// Bytes waiting to be written (buffered while disconnected, or not yet drained).
    public var pendingBytes: Int { outbound.readableBytes }
    public var activeSubscriptions: [Subscription] { subscriptions.values.sorted { $0.sid < $1.sid } }

    /// The connection the shell should be using, if any.
    public var currentConnection: UInt64? {
        switch state {
        case .connecting(let link), .awaitingInfo(let link), .handshaking(let link), .connected(let link): link.id
        default: nil
        }
    }

    // MARK: Lifecycle events

    public mutating func connectRequested() -> [Action] {
        guard case .idle = state else { return [] }
        return setStatus(.connecting) + open(server: 0)
    }

    /// The TCP connection `connection` is up. False: the machine no longer wants it (closed or
    /// superseded) and the shell must close it.
    public mutating func channelActive(connection: UInt64) -> Bool {
        guard case .connecting(let link) = state, link.id == connection else { return false }
        state = .awaitingInfo(link)
        return true
    }

    public mutating func infoReceived(_ info: NATSServerInfo, connection: UInt64, rng: inout some RandomNumberGenerator) -> [Action] {
        switch state {
        case .awaitingInfo(let link) where link.id == connection:
            serverInfo = info
            let server = configuration.servers[link.server]
            let tls = server.tls || info.tlsRequired
            if server.tls, !info.tlsRequired, !info.tlsAvailable {
                // Refusing is a configuration problem, not a network one: never fall back to
                // plain text when the URL asked for TLS.
                return [.closeConnection(id: link.id)]
                    + lose(link, reason: "server \(server) does not offer TLS but the URL requires it", rng: &rng)
            }
            var actions: [Action] = tls ? [.startTLS(serverName: server.host)] : []
            actions.append(.send(.connect(NATSConnectOptions(
                tlsRequired: tls, name: configuration.name, echo: configuration.echo,
                user: server.user ?? configuration.user, password: server.password ?? configuration.password,
                authToken: server.token ?? configuration.token
            ))))
            if !subscriptions.isEmpty { actions.append(.resubscribe(activeSubscriptions)) }
            actions.append(.send(.ping))
            pings = [.handshake]
            state = .handshaking(link)
            return actions
        case .handshaking(let link) where link.id == connection, .connected(let link) where link.id == connection:
            // A later INFO announces cluster changes or a new max_payload.
            serverInfo = info
            return []
        default:
            return []
        }
    }

    public mutating func pongReceived(connection: UInt64) -> [Action] {
        switch state {
        case .handshaking(let link) where link.id == connection:
            _ = pings.popFirst()
            state = .connected(link)
            let isReconnect = everConnected
            everConnected = true
            failedAttempts = 0
            outstandingKeepAlives = 0
            if isReconnect { reconnects += 1 }
            // PINGs left in the buffer from the lost connection are answered first and mean
            // nothing now; flushes asked for while disconnected come behind the buffered publishes.
            pings = CircularBuffer(repeating: .keepAlive, count: pingsInOutbound)
            for id in pendingFlushes { appendPing(.flush(id)) }
            pendingFlushes = []
            return setStatus(.connected) + [.connected(isReconnect: isReconnect)] + scheduleDrainIfNeeded()
                + [.schedulePing(connection: link.id, after: configuration.pingInterval)]
        case .connected(let link) where link.id == connection:
            // Any PONG proves the server is alive, whichever PING it answers.
            outstandingKeepAlives = 0
            if case .flush(let id)? = pings.popFirst() { return [.flushSucceeded([id])] }
            return []
        default:
            return []
        }
    }

    public mutating func errReceived(_ message: String, connection: UInt64) -> [Action] {
        lastError = message
        switch state {
        case .awaitingInfo(let link) where link.id == connection, .handshaking(let link) where link.id == connection:
            // Wrong credentials on the first connect fail `connect()` at once with the server's
            // reason instead of retrying the same refusal until someone notices.
            guard !everConnected, !configuration.retryOnFailedConnect, Self.isAuthorizationError(message) else {
                return [.serverError(message)]
            }
            let error = NATSClientError(.authorizationFailed, "\(configuration.servers[link.server]) refused the credentials: \(message)")
            // `connectFailed` before `statusChanged(.closed)`: the shell fails waiters with it.
            return [.closeConnection(id: link.id), .connectFailed(error)] + close(failing: error)
        default:
            return [.serverError(message)]
        }
    }

    /// The connection broke (or could not be opened).
    public mutating func connectionLost(connection: UInt64, reason: String, rng: inout some RandomNumberGenerator) -> [Action] {
        guard let link = link(connection) else { return [] }
        return lose(link, reason: reason, rng: &rng)
    }

    /// INFO or the handshake PONG did not come in time after `channelActive`.
    public mutating func handshakeTimedOut(connection: UInt64, rng: inout some RandomNumberGenerator) -> [Action] {
        guard let link = link(connection) else { return [] }
        if case .connected = state { return [] }
        return [.closeConnection(id: link.id)] + lose(link, reason: "no handshake from \(configuration.servers[link.server]) in time", rng: &rng)
    }

    public mutating func reconnectTimerFired() -> [Action] {
        guard case .waitingToReconnect(let server) = state else { return [] }
        return open(server: server)
    }

    /// Sends a keepalive PING, or declares the connection stale when too many are unanswered: a
    /// half-open TCP connection (server host gone, no RST) never reports itself otherwise.
    public mutating func pingTimerFired(connection: UInt64, rng: inout some RandomNumberGenerator) -> [Action] {
        guard case .connected(let link) = state, link.id == connection else { return [] }
        if outstandingKeepAlives >= configuration.maxOutstandingPings {
            return [.closeConnection(id: link.id)]
                + lose(link, reason: "stale connection: \(outstandingKeepAlives) PINGs unanswered", rng: &rng)
        }
        outstandingKeepAlives += 1
        appendPing(.keepAlive)
        return scheduleDrainIfNeeded() + [.schedulePing(connection: link.id, after: configuration.pingInterval)]
    }

    public mutating func closeRequested() -> [Action] {
        if case .closed = state { return [] }
        let current = currentConnection
        let actions = close(failing: NATSClientError(.closed, "the client was closed"))
        return (current.map { [.closeConnection(id: $0)] } ?? []) + actions
    }

    // MARK: Commands from the user

    /// Encodes a PUB/HPUB into the outbound buffer (validating it), or throws why it cannot go.
    public mutating func publish(_ command: NATSClientCommand) throws(NATSClientError) -> [Action] {
        try command.validate()
        if let maxPayload = serverInfo?.maxPayload, command.payloadSize > maxPayload {
            throw NATSClientError(.payloadTooLarge, "message of \(command.payloadSize) bytes exceeds the server's max_payload of \(maxPayload) bytes")
        }
        switch state {
        case .closed:
            throw NATSClientError(.closed, "publish on a closed client")
        case .connected:
            try command.encode(into: &outbound)
            messagesOut += 1
            return scheduleDrainIfNeeded()
        case .idle, .connecting, .awaitingInfo, .handshaking, .waitingToReconnect:
            // Before `connect()` too: a service may start publishing before its connect task
            // has run; the bytes wait, bounded, like during a reconnect.
            let mark = outbound.writerIndex
            try command.encode(into: &outbound)
            guard outbound.readableBytes <= configuration.maxPendingBytes else {
                outbound.moveWriterIndex(to: mark)
                throw NATSClientError(.bufferFull, "not connected (\(status.rawValue)) and the publish buffer holds \(outbound.readableBytes) of at most \(configuration.maxPendingBytes) bytes; refused \(command.payloadSize) more")
            }
            messagesOut += 1
            return []
        }
    }

    /// Registers a subscription; it is (re)sent on every connection until unsubscribed.
    public mutating func subscribe(subject: String, queueGroup: String?) throws(NATSClientError) -> (sid: Int, actions: [Action]) {
        let sid = nextSID
        let command = NATSClientCommand.sub(subject: subject, queueGroup: queueGroup, sid: sid)
        try command.validate()
        if case .closed = state { throw NATSClientError(.closed, "subscribe on a closed client") }
        nextSID += 1
        subscriptions[sid] = Subscription(sid: sid, subject: subject, queueGroup: queueGroup)
        return (sid, isHandshakeSent ? [.send(command)] : [])
    }

    public mutating func unsubscribe(sid: Int) -> [Action] {
        guard subscriptions.removeValue(forKey: sid) != nil else { return [] }
        return isHandshakeSent ? [.send(.unsub(sid: sid, max: nil))] : []
    }

    /// A PING barrier: `flushSucceeded(id)` comes once the server has processed everything sent
    /// before it. While disconnected it waits for the next connection.
    public mutating func flushRequested(id: UInt64) throws(NATSClientError) -> [Action] {
        switch state {
        case .closed:
            throw NATSClientError(.closed, "flush on a closed client")
        case .connected:
            appendPing(.flush(id))
            return scheduleDrainIfNeeded()
        case .idle, .connecting, .awaitingInfo, .handshaking, .waitingToReconnect:
            pendingFlushes.append(id)
            return []
        }
    }

    /// The bytes to write now (after `scheduleDrain`); nil when there are none or the
    /// connection is not up (they stay buffered for the next one).
    public mutating func takeOutbound() -> ByteBuffer? {
        drainScheduled = false
        guard case .connected = state, outbound.readableBytes > 0 else { return nil }
        pingsInOutbound = 0
        defer { outbound = ByteBuffer() }
        return outbound
    }

    // MARK: Internals

    private var isHandshakeSent: Bool {
        switch state {
        case .handshaking, .connected: true
        default: false
        }
    }

    private func link(_ connection: UInt64) -> Link? {
        switch state {
        case .connecting(let link), .awaitingInfo(let link), .handshaking(let link), .connected(let link):
            link.id == connection ? link : nil
        default:
            nil
        }
    }

    private mutating func open(server: Int) -> [Action] {
        let link = Link(id: nextConnectionID, server: server)
        nextConnectionID += 1
        state = .connecting(link)
        return [.openConnection(id: link.id, server: configuration.servers[server])]
    }

    private mutating func appendPing(_ ping: Ping) {
        outbound.writeString("PING\r\n")
        pings.append(ping)
        pingsInOutbound += 1
    }

    private mutating func setStatus(_ new: NATSConnectionStatus) -> [Action] {
        guard status != new else { return [] }
        status = new
        return [.statusChanged(new)]
    }

    private mutating func scheduleDrainIfNeeded() -> [Action] {
        guard !drainScheduled, outbound.readableBytes > 0 else { return [] }
        drainScheduled = true
        return [.scheduleDrain]
    }

    /// The current connection is gone: fail what was in flight on it, then try the next server
    /// now (first connect), after a backoff (reconnect), or give up.
    private mutating func lose(_ link: Link, reason: String, rng: inout some RandomNumberGenerator) -> [Action] {
        lastError = reason
        var actions: [Action] = []
        let inFlight = pings.compactMap { ping -> UInt64? in if case .flush(let id) = ping { id } else { nil } }
        if !inFlight.isEmpty {
            actions.append(.flushFailed(inFlight, NATSClientError(.connectionLost, "connection lost before the server answered the flush: \(reason)")))
        }
        pings.removeAll()
        outstandingKeepAlives = 0
        failedAttempts += 1
        let servers = configuration.servers.count
        if !everConnected, !configuration.retryOnFailedConnect {
            if failedAttempts < servers { return actions + open(server: (link.server + 1) % servers) }
            let error = NATSClientError(.connectionFailed, "could not connect to \(configuration.servers.map(\.description).joined(separator: ", ")): \(reason)")
            return actions + [.connectFailed(error)] + close(failing: error)
        }
        if let limit = configuration.maxReconnectAttempts, failedAttempts > limit {
            return actions + close(failing: NATSClientError(.connectionLost, "gave up after \(limit) reconnect attempts: \(reason)"))
        }
        state = .waitingToReconnect(server: (link.server + 1) % servers)
        let delay = configuration.backoff.delay(attempt: failedAttempts - 1, rng: &rng)
        return actions + setStatus(everConnected ? .reconnecting : .connecting) + [.scheduleReconnect(after: delay)]
    }

    private mutating func close(failing error: NATSClientError) -> [Action] {
        var ids = pings.compactMap { ping -> UInt64? in if case .flush(let id) = ping { id } else { nil } }
        ids += pendingFlushes
        pings.removeAll()
        pendingFlushes = []
        outbound = ByteBuffer()
        pingsInOutbound = 0
        state = .closed
        return (ids.isEmpty ? [] : [.flushFailed(ids, error)]) + setStatus(.closed)
    }

    static func isAuthorizationError(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return lowered.contains("authorization") || lowered.contains("authentication")
    }
}
