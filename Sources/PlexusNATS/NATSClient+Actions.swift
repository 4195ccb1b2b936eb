import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Carrying out the state machine's actions.
extension NATSClient {
    func perform(_ actions: [Action], on channel: LiveChannel?) {
        // Handshake commands (CONNECT, SUBs, PING) go out in one write.
        var writes = ByteBuffer()
        for action in actions {
            switch action {
            case .openConnection(let id, let server):
                logger.debug("NATS dialling", metadata: ["plexus.nats.server": "\(server)", "plexus.nats.connection": "\(id)"])
                openConnection(id: id, server: server)
            case .startTLS(let serverName):
                if let channel { startTLS(on: channel.channel, serverName: serverName) }
            case .send(let command):
                encode(command, into: &writes)
            case .resubscribe(let subscriptions):
                for subscription in subscriptions {
                    encode(.sub(subject: subscription.subject, queueGroup: subscription.queueGroup, sid: subscription.sid), into: &writes)
                }
            case .scheduleDrain:
                loop.execute { [self] in drain() }
            case .schedulePing(let connection, let after):
                schedule(\.pingTask, after: after) { [self] in
                    drive { s in
                        var rng = SystemRandomNumberGenerator()
                        return (s.machine.pingTimerFired(connection: connection, rng: &rng), ())
                    }
                }
            case .scheduleReconnect(let after):
                schedule(\.reconnectTask, after: after) { [self] in
                    drive { s in (s.machine.reconnectTimerFired(), ()) }
                }
            case .closeConnection(let id):
                if let channel, channel.id == id { channel.channel.close(promise: nil) }
            case .statusChanged(let status):
                statusChanged(status)
            case .connected(let isReconnect):
                let waiters = state.withLock { s in
                    defer { s.connectWaiters = [] }
                    return s.connectWaiters
                }
                waiters.forEach { $0.succeed() }
                logger.info(isReconnect ? "NATS reconnected" : "NATS connected", metadata: metadata(channel))
            case .connectFailed(let error):
                let waiters = state.withLock { s in
                    s.connectError = error
                    defer { s.connectWaiters = [] }
                    return s.connectWaiters
                }
                waiters.forEach { $0.fail(error) }
                logger.error("NATS connect failed", metadata: ["plexus.nats.error": "\(error.message)"])
            case .flushSucceeded(let ids):
                takeFlushes(ids).forEach { $0.succeed() }
            case .flushFailed(let ids, let error):
                takeFlushes(ids).forEach { $0.fail(error) }
            case .serverError(let text):
                logger.warning("NATS server error", metadata: ["plexus.nats.error": "\(text)"])
            }
        }
        if writes.readableBytes > 0, let channel {
            channel.channel.writeAndFlush(writes, promise: nil)
        }
    }

    private func encode(_ command: NATSClientCommand, into buffer: inout ByteBuffer) {
        do {
            try command.encode(into: &buffer)
        } catch {
            // Everything the machine sends was validated when the user handed it over.
            logger.error("NATS command refused by its own validation", metadata: ["plexus.nats.error": "\(error)"])
        }
    }

    private func metadata(_ channel: LiveChannel?) -> Logger.Metadata {
        ["plexus.nats.connection": "\(channel?.id ?? 0)", "plexus.nats.remote": "\(channel?.channel.remoteAddress.map { "\($0)" } ?? "-")"]
    }

    private func openConnection(id: UInt64, server: NATSServerAddress) {
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NATSChannelHandler(client: self, connection: id))
                }
            }
        bootstrap.connect(host: server.host, port: server.port).whenFailure { [self] error in
            connectionLost(connection: id, reason: "cannot connect to \(server): \(error)")
        }
    }

    /// TLS goes in front of the parser after the plain-text INFO, as the NATS handshake wants;
    /// CONNECT is written right after and NIOSSL holds it until the TLS handshake is done.
    private func startTLS(on channel: any Channel, serverName: String) {
        let context: NIOSSLContext
        do {
            context = try state.withLock { s in
                if let existing = s.tlsContext { return existing }
                let created = try NIOSSLContext(configuration: configuration.tls ?? .makeClientConfiguration())
                s.tlsContext = created
                return created
            }
        } catch {
            logger.error("NATS TLS configuration unusable", metadata: ["plexus.nats.error": "\(error)"])
            channel.close(promise: nil)
            return
        }
        // SNI must be a host name; an IP address literal is not allowed there.
        let isAddress = (try? SocketAddress(ipAddress: serverName, port: 0)) != nil
        let install: @Sendable () -> Void = { [logger] in
            do {
                let handler = try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : serverName)
                try channel.pipeline.syncOperations.addHandler(handler, position: .first)
            } catch {
                logger.error("NATS TLS setup failed", metadata: ["plexus.nats.error": "\(error)"])
                channel.close(promise: nil)
            }
        }
        if channel.eventLoop.inEventLoop { install() } else { channel.eventLoop.execute(install) }
    }

    /// Writes what accumulated in the machine's outbound buffer since the last drain: many
    /// publishes from many tasks become one write and one flush.
    private func drain() {
        let (bytes, channel) = state.withLock { s in (s.machine.takeOutbound(), s.channel?.channel) }
        guard let bytes, let channel else { return }
        channel.writeAndFlush(bytes, promise: nil)
    }

    private func schedule(
        _ slot: WritableKeyPath<State, Scheduled<Void>?> & Sendable, after: Duration, _ task: @escaping @Sendable () -> Void
    ) {
        let scheduled = loop.scheduleTask(in: TimeAmount(after), task)
        let previous = state.withLock { s in
            defer { s[keyPath: slot] = scheduled }
            return s[keyPath: slot]
        }
        previous?.cancel()
    }

    private func takeFlushes(_ ids: [UInt64]) -> [EventLoopPromise<Void>] {
        state.withLock { s in ids.compactMap { s.flushes.removeValue(forKey: $0) } }
    }

    private func statusChanged(_ status: Status) {
        let watchers = state.withLock { Array($0.watchers.values) }
        for watcher in watchers { watcher.yield(status) }
        switch status {
        case .reconnecting:
            logger.warning("NATS connection lost, reconnecting", metadata: ["plexus.nats.error": "\(statistics.lastError ?? "-")"])
        case .closed:
            tearDown()
        default:
            break
        }
    }

    /// Ends everything that waits on the client once it is closed.
    func tearDown() {
        let (sinks, requests, flushes, waiters, watchers, tasks, error) = state.withLock { s in
            defer {
                s.routes = [:]
                s.requests = [:]
                s.flushes = [:]
                s.connectWaiters = []
                s.watchers = [:]
                s.pingTask = nil
                s.reconnectTask = nil
                s.handshakeTask = nil
            }
            return (
                Array(s.routes.values), Array(s.requests.values), Array(s.flushes.values), s.connectWaiters,
                Array(s.watchers.values), [s.pingTask, s.reconnectTask, s.handshakeTask].compactMap { $0 },
                s.connectError ?? NATSClientError(.closed, "the client was closed")
            )
        }
        tasks.forEach { $0.cancel() }
        sinks.forEach { $0.continuation.finish() }
        requests.forEach { $0.promise.fail(NATSClientError(.closed, "the client was closed before a reply on \($0.subject)")) }
        flushes.forEach { $0.fail(NATSClientError(.closed, "the client was closed")) }
        waiters.forEach { $0.fail(error) }
        watchers.forEach { $0.finish() }
    }
}
