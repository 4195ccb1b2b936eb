#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOSSL
import PlexusCore
import PlexusIdentity

/// Peer links: dialling with backoff, accepting, the hello exchange, heartbeats, and routing
/// frames between links and the core.
extension MeshDriver {
    /// Most inbound connections that have not finished their TLS handshake at once: beyond it a
    /// new connection is closed at once, so idle sockets cannot exhaust descriptors.
    static let maxUnauthenticatedInbound = 256

    func addHandlers(to channel: any Channel, link: PeerLink, server: Bool) throws {
        let tls: NIOSSLHandler = server
            ? NIOSSLServerHandler(context: contexts.server)
            : try NIOSSLClientHandler(context: contexts.client, serverHostname: nil)
        try channel.pipeline.syncOperations.addHandler(tls)
        try channel.pipeline.syncOperations.addHandler(PeerFrameHandler(driver: self, link: link, maxFrameBytes: configuration.maxFrameBytes))
        // TLS has no handshake timeout of its own: a peer that connects and says nothing is cut.
        loop.scheduleTask(in: .nanoseconds(configuration.connectTimeout.nanoseconds)) { [self] in
            guard link.channel === channel, link.remote == nil, channel.isActive else { return }
            linkFailed(link, reason: "no TLS handshake within \(configuration.connectTimeout)")
            channel.close(promise: nil)
        }
    }

    /// Accepts an inbound connection unless too many are still unauthenticated.
    func accept(_ channel: any Channel) throws {
        let waiting = inbound.values.filter { $0.remote == nil }.count
        guard waiting < Self.maxUnauthenticatedInbound else {
            counters.handshakesRefused += 1
            throw MeshDriverError(description: "too many unauthenticated peer connections")
        }
        let link = PeerLink(direction: .inbound, address: channel.remoteAddress.map { "\($0)" } ?? "?")
        try addHandlers(to: channel, link: link, server: true)
        inbound[ObjectIdentifier(link)] = link
    }

    /// Sends `frame` to `peer`, dialling its address if no link is up. While a dial is backing
    /// off after failures, frames for that address are dropped: the mesh protocol treats that as
    /// loss and suspects the peer, which is exactly what an unreachable peer should cause.
    func send(_ frame: PeerFrame, to peer: Peer) {
        enqueue(frame, to: peer, flushNow: true)
    }

    /// Queues `frame` on the link to `peer` (dialling if needed); returns the link when one is
    /// usable, so a burst can be flushed once.
    @discardableResult
    func enqueue(_ frame: PeerFrame, to peer: Peer, flushNow: Bool) -> PeerLink? {
        var address = peer.address
        if let id = peer.id, address == id.rawValue {
            // The core knows the node only by id so far; answer where its hello said it listens.
            guard let known = helloAddresses[id] else {
                counters.unroutable += 1
                return nil
            }
            address = known
        }
        guard address != advertisedAddress, phase != .stopped else { return nil }
        let link = outbound[address] ?? PeerLink(direction: .outbound, address: address)
        outbound[address] = link
        if let id = peer.id { link.expected = id }
        if link.channel == nil, !link.connecting {
            if let retryAt = link.retryAt, retryAt > .now() {
                counters.framesDropped += 1
                return nil
            }
            dial(link)
        }
        counters.framesDropped += link.send(buffer(frame), limit: configuration.outboundQueueLimit, byteLimit: configuration.outboundQueueBytes,
                                            flushNow: flushNow)
        return link
    }

    func buffer(_ frame: PeerFrame) -> ByteBuffer {
        ByteBuffer(bytes: frame.encoded())
    }

    /// Opens (or reopens) an outbound link.
    func dial(_ link: PeerLink) {
        link.retryAt = nil
        guard let (host, port) = Self.split(link.address) else {
            logger.warning("cannot dial \(link.address): not host:port")
            link.retryAt = .now() + .hours(1)
            return
        }
        let connecting = ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(configuration.connectTimeout.nanoseconds))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.addHandlers(to: channel, link: link, server: false) }
            }
            .connect(host: host, port: port)
        // Sends until the dial completes queue on the link instead of dialling again.
        link.connecting = true
        connecting.whenComplete { [self] result in
            link.connecting = false
            if case .failure(let error) = result {
                counters.dialFailures += 1
                backOff(link)
                logger.debug("dial \(link.address) failed (\(link.failures)): \(error)", metadata: ["plexus.peer": "\(link.address)"])
            }
        }
    }

    /// After a failed dial or a link that never authenticated: drop what waited and wait longer
    /// each time, from `reconnectMinimum` doubling to `reconnectMaximum`, with jitter so a
    /// restarted mesh does not dial in lockstep. Reset only by a successful handshake.
    func backOff(_ link: PeerLink) {
        link.failures += 1
        let backoff = min(configuration.reconnectMaximum, configuration.reconnectMinimum * (1 << min(link.failures - 1, 16)))
        let jittered = backoff * Double.random(in: 0.5...1.0, using: &rng)
        link.retryAt = .now() + .nanoseconds(jittered.nanoseconds)
        counters.framesDropped += link.discardQueue()
    }

    static func split(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65_535).contains(port) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.utf8.count <= 255 else { return nil }
        return (host, port)
    }

    /// TLS verified the peer's certificate against a trusted CA; the link is usable. Both sides
    /// say hello so each learns where the other listens and which start of it this is.
    func linkAuthenticated(_ link: PeerLink, as node: VerifiedNode) {
        if link.direction == .outbound, let expected = link.expected, expected != node.nodeID {
            // The address now belongs to someone else (a node restarted elsewhere, another
            // reused its port): frames meant for `expected` must not reach it.
            failLink(link, "dialled \(expected) at \(link.address) but \(node.nodeID) answered")
            return
        }
        link.remote = node
        link.failures = 0
        link.lastHeard = .now()
        let hello = PeerHello(protocolVersion: PeerFrame.version, node: identity.nodeID, address: advertisedAddress, generation: generation)
        link.queue.prepend(buffer(.hello(hello)))
        link.queuedBytes += link.queue.first?.readableBytes ?? 0
        link.flush()
        logger.debug("link \(link.direction.rawValue) up with \(node.nodeID)", metadata: ["plexus.peer": "\(node.nodeID)"])
        if link.direction == .outbound {
            drive { core, now, _ in core.peerConnected(node.nodeID, now: now) }
        }
    }

    func frameReceived(_ frame: PeerFrame, on link: PeerLink) {
        guard let remote = link.remote else { return }
        link.lastHeard = .now()
        link.framesReceived += 1
        switch frame {
        case .hello(let hello):
            guard hello.protocolVersion == PeerFrame.version else {
                failLink(link, "peer speaks protocol version \(hello.protocolVersion); this node speaks \(PeerFrame.version)")
                return
            }
            guard hello.node == remote.nodeID else {
                failLink(link, "hello names \(hello.node) but the certificate is \(remote.nodeID)")
                return
            }
            guard Self.split(hello.address) != nil else {
                failLink(link, "hello gives no usable listen address (\"\(hello.address.prefix(64))\")")
                return
            }
            link.hello = hello
            helloAddresses[hello.node] = hello.address
        case .mesh(let message):
            guard link.hello != nil else {
                failLink(link, "mesh frame before hello")
                return
            }
            drive { core, now, rng in core.receive(message, from: remote.nodeID, now: now, rng: &rng) }
        case .data(let data):
            guard link.hello != nil else {
                failLink(link, "data frame before hello")
                return
            }
            dataReceived(data, from: remote.nodeID)
        case .acks(let acks):
            forward { routing, now in routing.acked(acks, from: remote.nodeID, now: now) }
        case .heartbeat(let nonce):
            counters.framesDropped += link.send(buffer(.heartbeatAck(nonce: nonce)), limit: configuration.outboundQueueLimit,
                                                byteLimit: configuration.outboundQueueBytes)
        case .heartbeatAck(let nonce):
            if let pending = link.heartbeat, pending.nonce == nonce {
                let rtt = Double(NIODeadline.now().uptimeNanoseconds - pending.sent.uptimeNanoseconds) / 1e6
                link.rttMilliseconds = link.rttMilliseconds.map { $0 * 0.8 + rtt * 0.2 } ?? rtt
                link.heartbeat = nil
            }
        case .goodbye(let reason):
            logger.info("peer \(remote.nodeID) closed the link: \(reason)", metadata: ["plexus.peer": "\(remote.nodeID)"])
            link.close()
        }
    }

    /// Closes a link for a protocol error, telling the peer why.
    private func failLink(_ link: PeerLink, _ reason: String) {
        linkFailed(link, reason: reason)
        if link.remote != nil { link.channel?.writeAndFlush(buffer(.goodbye(reason: reason)), promise: nil) }
        link.close()
    }

    /// Counts and logs why a link is being closed (once per closing).
    func linkFailed(_ link: PeerLink, reason: String) {
        if link.remote == nil { counters.handshakesRefused += 1 } else { counters.protocolErrors += 1 }
        let who = link.remote.map { "\($0.nodeID)" } ?? link.address
        logger.warning("closing \(link.direction.rawValue) link with \(who): \(reason)", metadata: ["plexus.peer": "\(who)"])
    }

    func linkClosed(_ link: PeerLink) {
        let node = link.remote?.nodeID
        link.channel = nil
        link.remote = nil
        link.hello = nil
        link.heartbeat = nil
        counters.framesDropped += link.discardQueue()
        switch link.direction {
        case .inbound:
            inbound.removeValue(forKey: ObjectIdentifier(link))
        case .outbound:
            guard let node else {
                // Never authenticated (refused certificate, wrong ALPN, stalled handshake):
                // back off exponentially rather than redial at once with a full handshake.
                backOff(link)
                return
            }
            // Reconnect on the next send, after a short pause so a dead peer is not hammered.
            link.retryAt = .now() + .nanoseconds(configuration.reconnectMinimum.nanoseconds)
            if phase == .running {
                drive { core, now, rng in core.linkDown(node, now: now, rng: &rng) }
                forward { routing, now in routing.linkDown(node, now: now) }
            }
        }
    }

    /// The link housekeeping period: a fraction of the heartbeat timeout, so a missing ack is
    /// noticed within about a third of it past the deadline.
    var linkTickInterval: Duration { min(configuration.heartbeatInterval, configuration.heartbeatTimeout / 3) }

    func scheduleLinkTick() {
        loop.scheduleTask(in: .nanoseconds(linkTickInterval.nanoseconds)) { [self] in
            guard phase != .stopped else { return }
            linkTick()
            scheduleLinkTick()
        }
    }

    /// Heartbeats on idle outbound links; closes links whose heartbeat went unanswered and
    /// inbound links that have gone quiet for three heartbeat intervals.
    func linkTick() {
        // Load for routing: the run queue per core and what waits in the outbox (a busy node
        // costs more as a transit hop; the core republishes only when it moved enough).
        var averages = [0.0, 0.0, 0.0]
        let load = getloadavg(&averages, 3) > 0 ? averages[0] / Double(max(1, System.coreCount)) : 0
        core?.updateHealth(load: load, queueDepth: routing.heldCount)
        let now = NIODeadline.now()
        let idleSince = now - .nanoseconds(configuration.heartbeatInterval.nanoseconds)
        let ackDeadline = now - .nanoseconds(configuration.heartbeatTimeout.nanoseconds)
        let quietSince = now - .nanoseconds((configuration.heartbeatInterval * 3 + configuration.heartbeatTimeout).nanoseconds)
        for link in Array(outbound.values) + Array(inbound.values) where link.remote != nil {
            switch link.direction {
            case .outbound:
                if let pending = link.heartbeat {
                    if pending.sent < ackDeadline { failLink(link, "heartbeat unanswered for \(configuration.heartbeatTimeout)") }
                } else if link.lastSent < idleSince {
                    let nonce = UInt64.random(in: 1...UInt64.max, using: &rng)
                    link.heartbeat = (nonce, now)
                    counters.framesDropped += link.send(buffer(.heartbeat(nonce: nonce)), limit: configuration.outboundQueueLimit,
                                                        byteLimit: configuration.outboundQueueBytes)
                }
            case .inbound:
                if link.lastHeard < quietSince { failLink(link, "heard nothing for \(configuration.heartbeatInterval * 3 + configuration.heartbeatTimeout)") }
            }
        }
        // Forget dial state for addresses no member uses any more.
        let inUse = Set(core?.members.values.filter(\.isActive).map(\.address) ?? []).union(configuration.seeds)
        for (address, link) in outbound where link.channel == nil && !link.connecting && !inUse.contains(address) {
            outbound.removeValue(forKey: address)
        }
    }
}
