import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A NATS client on SwiftNIO: publish, subscribe (plain and queue groups), request/reply,
/// flush, JetStream publish acknowledgements; reconnects with backoff, re-subscribes, and
/// buffers publishes (bounded) while disconnected.
///
/// All protocol decisions are made by `NATSConnectionStateMachine`, a value driven under a lock;
/// the actions it returns are carried out after the lock is released (closing a channel, for
/// instance, calls straight back into the client). Channels, timers and drains all run on one
/// event loop chosen at init, so callbacks for this client never race each other; public
/// methods may be called from any thread or task and never block an event loop.
public final class NATSClient: Sendable {
    public typealias Status = NATSConnectionStatus
    typealias Action = NATSConnectionStateMachine.Action

    public let configuration: Configuration
    let loop: any EventLoop
    let logger: Logger
    let state: Mutex<State>
    let droppedTotal = Atomic<Int>(0)

    struct LiveChannel: Sendable {
        let id: UInt64
        let channel: any Channel
    }

    struct PendingRequest: Sendable {
        let promise: EventLoopPromise<NATSMessage>
        let subject: String
    }

    struct Inbox: Sendable {
        let prefix: String
        let sid: Int
    }

    struct State: Sendable {
        var machine: NATSConnectionStateMachine
        var channel: LiveChannel?
        var routes: [Int: NATSSubscription.Sink] = [:]
        var inbox: Inbox?
        var requests: [String: PendingRequest] = [:]
        var flushes: [UInt64: EventLoopPromise<Void>] = [:]
        var nextFlushID: UInt64 = 1
        var connectWaiters: [EventLoopPromise<Void>] = []
        var connectError: NATSClientError?
        var watchers: [Int: AsyncStream<Status>.Continuation] = [:]
        var nextWatcher = 0
        var pingTask: Scheduled<Void>?
        var reconnectTask: Scheduled<Void>?
        var handshakeTask: Scheduled<Void>?
        var messagesIn = 0
        var tlsContext: NIOSSLContext?
    }

    public init(configuration: Configuration) throws(NATSClientError) {
        try configuration.validate()
        self.configuration = configuration
        self.loop = configuration.eventLoopGroup.next()
        self.logger = configuration.logger
        self.state = Mutex(State(machine: NATSConnectionStateMachine(configuration: configuration.machineConfiguration)))
    }

    public var status: Status { state.withLock { $0.machine.status } }

    public var statistics: Statistics {
        state.withLock { s in
            Statistics(
                status: s.machine.status, reconnects: s.machine.reconnects, messagesIn: s.messagesIn,
                messagesOut: s.machine.messagesOut, droppedMessages: droppedTotal.load(ordering: .relaxed),
                pendingBytes: s.machine.pendingBytes, lastError: s.machine.lastError, serverInfo: s.machine.serverInfo
            )
        }
    }

    /// The current status, then every change, until the client closes.
    public func statusUpdates() -> AsyncStream<Status> {
        let (stream, continuation) = AsyncStream.makeStream(of: Status.self, bufferingPolicy: .bufferingNewest(16))
        let current: Status = state.withLock { s in
            if s.machine.status != .closed {
                s.watchers[s.nextWatcher] = continuation
                s.nextWatcher += 1
            }
            return s.machine.status
        }
        continuation.yield(current)
        if current == .closed { continuation.finish() }
        return stream
    }

    /// Connects to the first reachable server (trying each once). Returns once the server has
    /// accepted CONNECT; throws `.authorizationFailed` for refused credentials and
    /// `.connectionFailed` naming the servers when none answered (unless
    /// `retryOnFailedConnect`). While reconnecting it waits for the connection to return.
    public func connect() async throws {
        let promise = loop.makePromise(of: Void.self)
        let immediate: Result<Void, NATSClientError>? = drive { s in
            switch s.machine.status {
            case .connected:
                return ([], .success(()))
            case .closed:
                return ([], .failure(s.connectError ?? NATSClientError(.closed, "connect() on a closed client")))
            case .idle, .connecting, .reconnecting:
                s.connectWaiters.append(promise)
                return (s.machine.connectRequested(), nil)
            }
        }
        if let immediate { promise.completeWith(immediate.mapError { $0 as any Error }) }
        try await promise.futureResult.get()
    }

    /// Flushes what was published (bounded wait), then closes: subscriptions end, pending
    /// requests and flushes fail with `.closed`.
    public func close() async {
        if status == .connected {
            do {
                try await flush(timeout: .seconds(5))
            } catch {
                logger.debug("NATS close: final flush failed", metadata: ["plexus.nats.error": "\(error)"])
            }
        }
        let channel: (any Channel)? = state.withLock { $0.channel?.channel }
        drive { s in (s.machine.closeRequested(), ()) }
        tearDown()
        try? await channel?.closeFuture.get()
    }

    /// Queues a message (PUB, or HPUB with headers). Returns once it is buffered, not sent;
    /// `flush()` waits until the server has it. Throws for a bad subject or header, a payload
    /// above the server's `max_payload`, or a full buffer while reconnecting.
    public func publish(_ payload: ByteBuffer, subject: String, replyTo: String? = nil, headers: NATSHeaders? = nil) throws(NATSClientError) {
        let command = NATSClientCommand.publish(subject: subject, replyTo: replyTo, headers: headers, payload: payload)
        try drive { s throws(NATSClientError) in (try s.machine.publish(command), ()) }
    }

    /// Subscribes; `*` matches one token, `>` the rest. With a queue group, each message goes to
    /// one member of the group across all clients.
    public func subscribe(subject: String, queueGroup: String? = nil) throws(NATSClientError) -> NATSSubscription {
        try drive { s throws(NATSClientError) in
            let (sid, actions) = try s.machine.subscribe(subject: subject, queueGroup: queueGroup)
            let subscription = NATSSubscription(
                sid: sid, subject: subject, queueGroup: queueGroup, capacity: configuration.subscriptionBufferCapacity, client: self
            )
            s.routes[sid] = subscription.sink
            return (actions, subscription)
        }
    }

    func unsubscribe(sid: Int) {
        let sink = drive { s in (s.machine.unsubscribe(sid: sid), s.routes.removeValue(forKey: sid)) }
        sink?.continuation.finish()
    }

    // MARK: Events from channels and timers

    func channelActive(connection: UInt64, channel: any Channel) {
        let accepted = state.withLock { s in
            guard s.machine.channelActive(connection: connection) else { return false }
            s.channel = LiveChannel(id: connection, channel: channel)
            s.handshakeTask?.cancel()
            s.handshakeTask = loop.scheduleTask(in: TimeAmount(configuration.connectTimeout)) { [self] in
                drive { s in
                    var rng = SystemRandomNumberGenerator()
                    return (s.machine.handshakeTimedOut(connection: connection, rng: &rng), ())
                }
            }
            return true
        }
        if !accepted { channel.close(promise: nil) }
    }

    func received(_ op: NATSServerOp, connection: UInt64) {
        switch op {
        case .msg(let message):
            deliver(message)
        case .info(let info):
            drive { s in
                var rng = SystemRandomNumberGenerator()
                return (s.machine.infoReceived(info, connection: connection, rng: &rng), ())
            }
        case .pong:
            drive { s in (s.machine.pongReceived(connection: connection), ()) }
        case .err(let text):
            drive { s in (s.machine.errReceived(text, connection: connection), ()) }
        case .ok, .ping:
            break
        }
    }

    func connectionLost(connection: UInt64, reason: String) {
        drive { s in
            var rng = SystemRandomNumberGenerator()
            return (s.machine.connectionLost(connection: connection, reason: reason, rng: &rng), ())
        }
    }

    private enum Target {
        case subscription(NATSSubscription.Sink)
        case reply(PendingRequest?)
    }

    private func deliver(_ message: NATSMessage) {
        let target: Target? = state.withLock { s in
            s.messagesIn += 1
            if let inbox = s.inbox, inbox.sid == message.sid {
                let token = String(message.subject.dropFirst(inbox.prefix.utf8.count + 1))
                return .reply(s.requests.removeValue(forKey: token))
            }
            return s.routes[message.sid].map { .subscription($0) }
        }
        switch target {
        case .subscription(let sink):
            if !sink.deliver(message) { droppedTotal.add(1, ordering: .relaxed) }
        case .reply(let pending?):
            if message.isNoResponders {
                pending.promise.fail(NATSClientError(.noResponders, "no responders are subscribed to \(pending.subject)"))
            } else {
                pending.promise.succeed(message)
            }
        case .reply(nil), nil:
            // A reply after its request timed out, or a message racing an UNSUB.
            break
        }
    }

    /// Runs one step of the state machine under the lock, then carries out its actions on the
    /// channel that was current when the step was decided.
    @discardableResult
    func drive<R: Sendable, E: Error>(_ body: (inout State) throws(E) -> (actions: [Action], result: R)) throws(E) -> R {
        let (actions, channel, result) = try state.withLock { s throws(E) in
            let channel = s.channel
            let (actions, result) = try body(&s)
            if let current = s.channel, current.id != s.machine.currentConnection { s.channel = nil }
            return (actions, channel, result)
        }
        perform(actions, on: channel)
        return result
    }
}
