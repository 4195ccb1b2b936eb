import NIOCore
import NIOPosix
import NIOSSL
import PlexusCore
import PlexusIdentity

/// Peer links: dialling with backoff, accepting, the hello exchange, heartbeats, and routing
/// frames between links and the core.
extension MeshDriver {
    func addHandlers(to channel: any Channel, link: PeerLink, server: Bool) throws {
        let tls: NIOSSLHandler = server
            ? NIOSSLServerHandler(context: contexts.server)
            : try NIOSSLClientHandler(context: contexts.client, serverHostname: nil)
        try channel.pipeline.syncOperations.addHandler(tls)
        try channel.pipeline.syncOperations.addHandler(PeerFrameHandler(driver: self, link: link, maxFrameBytes: configuration.maxFrameBytes))
    }

    /// Sends `frame` to `peer`, dialling its address if no link is up. While a dial is backing
    /// off after failures, frames for that address are dropped: the mesh protocol treats that as
    /// loss and suspects the peer, which is exactly what an unreachable peer should cause.
    func send(_ frame: PeerFrame, to peer: Peer) {
        var address = peer.address
        if let id = peer.id, address == id.rawValue {
            // The core knows the node only by id so far; answer where its hello said it listens.
            guard let known = helloAddresses[id] else {
                counters.unroutable += 1
                return
            }
            address = known
        }
        guard address != advertisedAddress, !stopping else { return }
        let link = outbound[address] ?? dial(address)
        if link.channel == nil, !link.connecting {
            if let retryAt = link.retryAt, retryAt > .now() {
                counters.framesDropped += 1
                return
            }
            dial(address)
        }
        let before = link.dropped
        link.send(buffer(frame), limit: configuration.outboundQueueLimit)
        counters.framesDropped += link.dropped - before
    }

    func buffer(_ frame: PeerFrame) -> ByteBuffer {
        ByteBuffer(bytes: frame.encoded())
    }

    /// Opens (or reopens) the outbound link to `address`.
    @discardableResult
    func dial(_ address: String) -> PeerLink {
        let link = outbound[address] ?? PeerLink(direction: .outbound, address: address)
        outbound[address] = link
        link.retryAt = nil
        guard let (host, port) = Self.split(address) else {
            logger.warning("cannot dial \(address): not host:port")
            link.retryAt = .now() + .hours(1)
            return link
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
            switch result {
            case .success:
                link.failures = 0
                link.retryAt = nil
            case .failure(let error):
                counters.dialFailures += 1
                link.failures += 1
                let backoff = min(configuration.reconnectMaximum, configuration.reconnectMinimum * (1 << min(link.failures - 1, 16)))
                let jittered = backoff * Double.random(in: 0.5...1.0, using: &rng)
                link.retryAt = .now() + .nanoseconds(jittered.nanoseconds)
                link.queue.removeAll()
                link.queuedBytes = 0
                logger.debug("dial \(address) failed (\(link.failures)): \(error)", metadata: ["plexus.peer": "\(address)"])
            }
        }
        return link
    }

    static func split(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65_535).contains(port) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// TLS verified the peer's certificate against a trusted CA; the link is usable. Both sides
    /// say hello so each learns where the other listens and which start of it this is.
    func linkAuthenticated(_ link: PeerLink, as node: VerifiedNode) {
        link.remote = node
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
            guard hello.node == remote.nodeID else {
                counters.protocolErrors += 1
                failLink(link, "hello names \(hello.node) but the certificate is \(remote.nodeID)")
                return
            }
            link.hello = hello
            helloAddresses[hello.node] = hello.address
        case .mesh(let message):
            guard link.hello != nil else {
                counters.protocolErrors += 1
                failLink(link, "mesh frame before hello")
                return
            }
            drive { core, now, rng in core.receive(message, from: remote.nodeID, now: now, rng: &rng) }
        case .heartbeat(let nonce):
            link.send(buffer(.heartbeatAck(nonce: nonce)), limit: configuration.outboundQueueLimit)
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

    private func failLink(_ link: PeerLink, _ reason: String) {
        linkFailed(link, reason: reason)
        if link.remote != nil { link.channel?.writeAndFlush(buffer(.goodbye(reason: reason)), promise: nil) }
        link.close()
    }

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
        link.queue.removeAll()
        link.queuedBytes = 0
        switch link.direction {
        case .inbound:
            inbound.removeValue(forKey: ObjectIdentifier(link))
        case .outbound:
            // Reconnect on the next send, after a short pause so a dead peer is not hammered.
            if link.retryAt == nil {
                link.retryAt = .now() + .nanoseconds(configuration.reconnectMinimum.nanoseconds)
            }
            if let node, !stopping {
                drive { core, now, rng in core.linkDown(node, now: now, rng: &rng) }
            }
        }
    }

    func scheduleLinkTick() {
        loop.scheduleTask(in: .nanoseconds(configuration.heartbeatInterval.nanoseconds)) { [self] in
            guard !stopping else { return }
            linkTick()
            scheduleLinkTick()
        }
    }

    /// Heartbeats on outbound links; closes links that have gone quiet.
    func linkTick() {
        let deadline = NIODeadline.now() - .nanoseconds(configuration.heartbeatTimeout.nanoseconds)
        for link in Array(outbound.values) + Array(inbound.values) where link.remote != nil {
            if link.lastHeard < deadline {
                counters.protocolErrors += 1
                failLink(link, "heard nothing for \(configuration.heartbeatTimeout)")
                continue
            }
            if link.direction == .outbound {
                let nonce = UInt64.random(in: 1...UInt64.max, using: &rng)
                link.heartbeat = (nonce, .now())
                link.send(buffer(.heartbeat(nonce: nonce)), limit: configuration.outboundQueueLimit)
            }
        }
        // Forget dial state for addresses no member uses any more.
        let inUse = Set(core?.members.values.filter(\.isActive).map(\.address) ?? []).union(configuration.seeds)
        for (address, link) in outbound where link.channel == nil && !link.connecting && !inUse.contains(address) {
            outbound.removeValue(forKey: address)
        }
    }
}
