import PlexusCore
import NIOCore
import Testing
@testable import PlexusNATS

@Suite struct NATSConnectionStateMachineTests {
    typealias Machine = NATSConnectionStateMachine
    static let a = NATSServerAddress(host: "a", port: 4222)
    static let b = NATSServerAddress(host: "b", port: 4223)

    static func configuration(servers: [NATSServerAddress] = [a], maxPendingBytes: Int = 1024) -> Machine.Configuration {
        Machine.Configuration(
            servers: servers, name: "test", user: "u", password: "p", echo: false,
            backoff: NATSBackoff(minimum: .milliseconds(50), maximum: .seconds(5)),
            pingInterval: .seconds(20), maxOutstandingPings: 2, maxPendingBytes: maxPendingBytes
        )
    }

    static let connect = NATSClientCommand.connect(NATSConnectOptions(tlsRequired: false, name: "test", echo: false, user: "u", password: "p"))

    var rng = SplitMix64(seed: 7)

    /// A machine connected on connection 1.
    mutating func connected(_ configuration: Machine.Configuration = configuration()) -> Machine {
        var machine = Machine(configuration: configuration)
        _ = machine.connectRequested()
        #expect(machine.channelActive(connection: 1) == true)
        _ = machine.infoReceived(NATSServerInfo(maxPayload: 100), connection: 1, rng: &rng)
        _ = machine.pongReceived(connection: 1)
        #expect(machine.status == .connected)
        return machine
    }

    func connectFailure(_ actions: [Machine.Action]) -> NATSClientError? {
        for case .connectFailed(let error) in actions { return error }
        return nil
    }

    func reconnectDelay(_ actions: [Machine.Action]) -> Duration? {
        for case .scheduleReconnect(let after) in actions { return after }
        return nil
    }

    @Test mutating func handshake() {
        var machine = Machine(configuration: Self.configuration())
        #expect(machine.connectRequested() == [.statusChanged(.connecting), .openConnection(id: 1, server: Self.a)])
        #expect(machine.connectRequested() == [])
        #expect(machine.channelActive(connection: 1) == true)
        #expect(machine.infoReceived(NATSServerInfo(), connection: 1, rng: &rng) == [.send(Self.connect), .send(.ping)])
        #expect(machine.status == .connecting)
        #expect(machine.pongReceived(connection: 1) == [
            .statusChanged(.connected), .connected(isReconnect: false), .schedulePing(connection: 1, after: .seconds(20)),
        ])
    }

    @Test mutating func credentialsInTheURLWin() {
        let server = NATSServerAddress(host: "a", token: "tok")
        var configuration = Self.configuration(servers: [server])
        configuration.user = nil
        configuration.password = nil
        var machine = Machine(configuration: configuration)
        _ = machine.connectRequested()
        _ = machine.channelActive(connection: 1)
        let actions = machine.infoReceived(NATSServerInfo(), connection: 1, rng: &rng)
        #expect(actions.first == .send(.connect(NATSConnectOptions(name: "test", authToken: "tok"))))
    }

    @Test mutating func tlsFromTheURLOrTheServer() {
        var machine = Machine(configuration: Self.configuration(servers: [NATSServerAddress(host: "secure", tls: true)]))
        _ = machine.connectRequested()
        _ = machine.channelActive(connection: 1)
        let actions = machine.infoReceived(NATSServerInfo(tlsRequired: true), connection: 1, rng: &rng)
        #expect(actions.first == .startTLS(serverName: "secure"))

        var plain = Machine(configuration: Self.configuration())
        _ = plain.connectRequested()
        _ = plain.channelActive(connection: 1)
        #expect(plain.infoReceived(NATSServerInfo(tlsRequired: true), connection: 1, rng: &rng).first == .startTLS(serverName: "a"))
    }

    @Test mutating func tlsURLRefusesAPlainOnlyServer() throws {
        var machine = Machine(configuration: Self.configuration(servers: [NATSServerAddress(host: "secure", tls: true)]))
        _ = machine.connectRequested()
        _ = machine.channelActive(connection: 1)
        let actions = machine.infoReceived(NATSServerInfo(tlsRequired: false, tlsAvailable: false), connection: 1, rng: &rng)
        #expect(actions.first == .closeConnection(id: 1))
        #expect(actions.last == .statusChanged(.closed))
        let error = try #require(connectFailure(actions))
        #expect(error.message.contains("does not offer TLS"))
        #expect(!actions.contains { if case .send = $0 { true } else { false } })
    }

    @Test mutating func reconnectBackoffGrowsAndIsCapped() {
        var machine = connected()
        var delays: [Duration] = []
        var connection: UInt64 = 1
        for _ in 0..<12 {
            let lost = machine.connectionLost(connection: connection, reason: "reset", rng: &rng)
            delays.append(reconnectDelay(lost)!)
            connection += 1
            #expect(machine.reconnectTimerFired() == [.openConnection(id: connection, server: Self.a)])
        }
        #expect(machine.status == .reconnecting)
        let backoff = NATSBackoff(minimum: .milliseconds(50), maximum: .seconds(5))
        for (attempt, delay) in delays.enumerated() {
            let ceiling = backoff.ceiling(attempt: attempt)
            #expect(delay <= ceiling && delay >= ceiling / 2, "attempt \(attempt): \(delay) vs \(ceiling)")
        }
        #expect(backoff.ceiling(attempt: 0) == .milliseconds(50))
        #expect(backoff.ceiling(attempt: 3) == .milliseconds(400))
        #expect(backoff.ceiling(attempt: 7) == .seconds(5))
        #expect(backoff.ceiling(attempt: 1000) == .seconds(5))
        #expect(delays.suffix(4).allSatisfy { $0 >= .milliseconds(2500) && $0 <= .seconds(5) })
    }

    @Test func backoffIsReplayableFromTheSeed() {
        let backoff = NATSBackoff()
        var first = SplitMix64(seed: 99)
        var second = SplitMix64(seed: 99)
        let a = (0..<10).map { backoff.delay(attempt: $0, rng: &first) }
        let b = (0..<10).map { backoff.delay(attempt: $0, rng: &second) }
        #expect(a == b)
        #expect(Set(a).count > 1)
    }

    @Test mutating func connectionLossStatusAndSuccessfulReconnect() {
        var machine = connected()
        let lost = machine.connectionLost(connection: 1, reason: "reset", rng: &rng)
        #expect(lost.first == .statusChanged(.reconnecting))
        #expect(machine.lastError == "reset")
        #expect(machine.reconnectTimerFired() == [.openConnection(id: 2, server: Self.a)])
        #expect(machine.channelActive(connection: 2) == true)
        _ = machine.infoReceived(NATSServerInfo(), connection: 2, rng: &rng)
        #expect(machine.pongReceived(connection: 2) == [
            .statusChanged(.connected), .connected(isReconnect: true), .schedulePing(connection: 2, after: .seconds(20)),
        ])
        #expect(machine.reconnects == 1)
    }

    @Test mutating func resubscribesCurrentSubscriptionsAfterINFO() throws {
        var machine = connected()
        let first = try machine.subscribe(subject: "orders.>", queueGroup: nil)
        #expect(first.actions == [.send(.sub(subject: "orders.>", queueGroup: nil, sid: first.sid))])
        let second = try machine.subscribe(subject: "jobs", queueGroup: "workers")
        let third = try machine.subscribe(subject: "gone", queueGroup: nil)
        #expect(machine.unsubscribe(sid: third.sid) == [.send(.unsub(sid: third.sid, max: nil))])
        _ = machine.connectionLost(connection: 1, reason: "reset", rng: &rng)
        // Subscribing while disconnected only records it.
        let fourth = try machine.subscribe(subject: "later", queueGroup: nil)
        #expect(fourth.actions == [])
        _ = machine.reconnectTimerFired()
        _ = machine.channelActive(connection: 2)
        #expect(machine.infoReceived(NATSServerInfo(), connection: 2, rng: &rng) == [
            .send(Self.connect),
            .resubscribe([
                .init(sid: first.sid, subject: "orders.>"), .init(sid: second.sid, subject: "jobs", queueGroup: "workers"),
                .init(sid: fourth.sid, subject: "later"),
            ]),
            .send(.ping),
        ])
    }

    @Test mutating func publishesWhileDisconnectedAreBufferedBoundedAndSentAfterTheHandshake() throws {
        var machine = connected(Self.configuration(maxPendingBytes: 40))
        _ = machine.connectionLost(connection: 1, reason: "reset", rng: &rng)
        #expect(try machine.publish(.pub(subject: "a", replyTo: nil, payload: bytes("0123456789"))) == [])
        #expect(machine.pendingBytes == 22)
        let error = #expect(throws: NATSClientError.self) {
            _ = try machine.publish(.pub(subject: "a", replyTo: nil, payload: bytes("0123456789")))
        }
        #expect(error?.code == .bufferFull)
        #expect(error?.message.contains("40") == true)
        #expect(machine.pendingBytes == 22)
        #expect(machine.takeOutbound() == nil)
        _ = machine.reconnectTimerFired()
        _ = machine.channelActive(connection: 2)
        _ = machine.infoReceived(NATSServerInfo(), connection: 2, rng: &rng)
        let actions = machine.pongReceived(connection: 2)
        #expect(actions.contains(.scheduleDrain))
        #expect(machine.takeOutbound()?.text == "PUB a 10\r\n0123456789\r\n")
    }

    @Test mutating func publishesBeforeConnectWaitForTheFirstConnection() throws {
        var machine = Machine(configuration: Self.configuration())
        #expect(try machine.publish(.pub(subject: "early", replyTo: nil, payload: bytes("x"))) == [])
        _ = machine.connectRequested()
        _ = machine.channelActive(connection: 1)
        _ = machine.infoReceived(NATSServerInfo(), connection: 1, rng: &rng)
        #expect(machine.pongReceived(connection: 1).contains(.scheduleDrain))
        #expect(machine.takeOutbound()?.text == "PUB early 1\r\nx\r\n")
    }

    @Test mutating func publishingWhileConnectedBatchesDrains() throws {
        var machine = connected()
        #expect(try machine.publish(.pub(subject: "a", replyTo: nil, payload: bytes("1"))) == [.scheduleDrain])
        #expect(try machine.publish(.pub(subject: "b", replyTo: nil, payload: bytes("2"))) == [])
        #expect(machine.takeOutbound()?.text == "PUB a 1\r\n1\r\nPUB b 1\r\n2\r\n")
        #expect(try machine.publish(.pub(subject: "c", replyTo: nil, payload: bytes("3"))) == [.scheduleDrain])
        #expect(machine.messagesOut == 3)
    }

    @Test mutating func payloadAboveMaxPayloadNamesBothSizes() {
        var machine = connected()
        let error = #expect(throws: NATSClientError.self) {
            _ = try machine.publish(.pub(subject: "a", replyTo: nil, payload: ByteBuffer(repeating: 0, count: 101)))
        }
        #expect(error?.code == .payloadTooLarge)
        #expect(error?.message.contains("101") == true && error?.message.contains("100") == true)
    }

    @Test mutating func staleConnectionAfterUnansweredPings() {
        var machine = connected()
        #expect(machine.pingTimerFired(connection: 1, rng: &rng) == [.scheduleDrain, .schedulePing(connection: 1, after: .seconds(20))])
        #expect(machine.takeOutbound()?.text == "PING\r\n")
        #expect(machine.pingTimerFired(connection: 1, rng: &rng) == [.scheduleDrain, .schedulePing(connection: 1, after: .seconds(20))])
        _ = machine.takeOutbound()
        let stale = machine.pingTimerFired(connection: 1, rng: &rng)
        #expect(stale.prefix(2) == [.closeConnection(id: 1), .statusChanged(.reconnecting)])
        #expect(reconnectDelay(stale) != nil)
        #expect(machine.lastError?.contains("stale") == true)
        // The closed channel's own report arrives later and changes nothing.
        #expect(machine.connectionLost(connection: 1, reason: "closed", rng: &rng) == [])
    }

    @Test mutating func pongKeepsTheConnectionAlive() {
        var machine = connected()
        for _ in 0..<5 {
            #expect(!machine.pingTimerFired(connection: 1, rng: &rng).contains(.closeConnection(id: 1)))
            #expect(machine.pongReceived(connection: 1) == [])
        }
        #expect(machine.status == .connected)
    }

    @Test mutating func flushBarriers() throws {
        var machine = connected()
        _ = machine.pingTimerFired(connection: 1, rng: &rng)
        _ = try machine.flushRequested(id: 10)
        #expect(machine.takeOutbound()?.text == "PING\r\nPING\r\n")
        // The first PONG answers the keepalive PING, the second the flush.
        #expect(machine.pongReceived(connection: 1) == [])
        #expect(machine.pongReceived(connection: 1) == [.flushSucceeded([10])])
    }

    @Test mutating func flushWhileDisconnectedWaitsForTheNextConnection() throws {
        var machine = connected()
        _ = try machine.flushRequested(id: 1)
        let lost = machine.connectionLost(connection: 1, reason: "reset", rng: &rng)
        guard case .flushFailed([1], let error) = lost.first else { Issue.record("\(lost)"); return }
        #expect(error.code == .connectionLost)
        #expect(try machine.flushRequested(id: 2) == [])
        _ = machine.reconnectTimerFired()
        _ = machine.channelActive(connection: 2)
        _ = machine.infoReceived(NATSServerInfo(), connection: 2, rng: &rng)
        _ = machine.pongReceived(connection: 2)
        // The PING of the lost flush was still buffered: its PONG must not complete flush 2.
        #expect(machine.takeOutbound()?.text == "PING\r\nPING\r\n")
        #expect(machine.pongReceived(connection: 2) == [])
        #expect(machine.pongReceived(connection: 2) == [.flushSucceeded([2])])
    }

    @Test mutating func firstConnectTriesEachServerThenFails() throws {
        var machine = Machine(configuration: Self.configuration(servers: [Self.a, Self.b]))
        _ = machine.connectRequested()
        #expect(machine.connectionLost(connection: 1, reason: "refused", rng: &rng) == [.openConnection(id: 2, server: Self.b)])
        let actions = machine.connectionLost(connection: 2, reason: "refused", rng: &rng)
        #expect(actions == [.connectFailed(try #require(connectFailure(actions))), .statusChanged(.closed)])
        let error = try #require(connectFailure(actions))
        #expect(error.code == .connectionFailed)
        #expect(error.message.contains("nats://a:4222") && error.message.contains("nats://b:4223") && error.message.contains("refused"))
        #expect(machine.status == .closed)
    }

    @Test mutating func retryOnFailedConnectKeepsTrying() {
        var configuration = Self.configuration()
        configuration.retryOnFailedConnect = true
        var machine = Machine(configuration: configuration)
        _ = machine.connectRequested()
        let actions = machine.connectionLost(connection: 1, reason: "refused", rng: &rng)
        #expect(reconnectDelay(actions) != nil)
        #expect(machine.status == .connecting)
    }

    @Test mutating func wrongCredentialsFailTheFirstConnect() throws {
        var machine = Machine(configuration: Self.configuration())
        _ = machine.connectRequested()
        _ = machine.channelActive(connection: 1)
        _ = machine.infoReceived(NATSServerInfo(authRequired: true), connection: 1, rng: &rng)
        let actions = machine.errReceived("Authorization Violation", connection: 1)
        let error = try #require(connectFailure(actions))
        #expect(actions == [.closeConnection(id: 1), .connectFailed(error), .statusChanged(.closed)])
        #expect(error.code == .authorizationFailed)
        #expect(error.message.contains("Authorization Violation"))
    }

    @Test mutating func otherServerErrorsAreReported() {
        var machine = connected()
        #expect(machine.errReceived("Permissions Violation for Publish to x", connection: 1) == [.serverError("Permissions Violation for Publish to x")])
        #expect(machine.status == .connected)
    }

    @Test mutating func eventsFromAnOldConnectionAreIgnored() {
        var machine = connected()
        _ = machine.connectionLost(connection: 1, reason: "reset", rng: &rng)
        _ = machine.reconnectTimerFired()
        #expect(machine.channelActive(connection: 1) == false)
        #expect(machine.pongReceived(connection: 1) == [])
        #expect(machine.pingTimerFired(connection: 1, rng: &rng) == [])
        #expect(machine.infoReceived(NATSServerInfo(), connection: 1, rng: &rng) == [])
        #expect(machine.handshakeTimedOut(connection: 1, rng: &rng) == [])
    }

    @Test mutating func handshakeTimeout() {
        var machine = Machine(configuration: Self.configuration(servers: [Self.a, Self.b]))
        _ = machine.connectRequested()
        _ = machine.channelActive(connection: 1)
        #expect(machine.handshakeTimedOut(connection: 1, rng: &rng) == [.closeConnection(id: 1), .openConnection(id: 2, server: Self.b)])
    }

    @Test mutating func closeFailsWaitingFlushesAndRefusesWork() throws {
        var machine = connected()
        _ = try machine.flushRequested(id: 5)
        #expect(machine.closeRequested() == [
            .closeConnection(id: 1), .flushFailed([5], NATSClientError(.closed, "the client was closed")), .statusChanged(.closed),
        ])
        #expect(machine.closeRequested() == [])
        #expect((try? machine.publish(.pub(subject: "a", replyTo: nil, payload: bytes("")))) == nil)
        #expect((try? machine.subscribe(subject: "a", queueGroup: nil)) == nil)
    }

    @Test mutating func gaveUpAfterMaxReconnectAttempts() {
        var configuration = Self.configuration()
        configuration.maxReconnectAttempts = 1
        var machine = connected(configuration)
        _ = machine.connectionLost(connection: 1, reason: "reset", rng: &rng)
        _ = machine.reconnectTimerFired()
        let actions = machine.connectionLost(connection: 2, reason: "refused", rng: &rng)
        #expect(actions.last == .statusChanged(.closed))
    }
}
