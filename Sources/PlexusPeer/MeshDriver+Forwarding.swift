import NIOCore
import PlexusCore

/// Where the driver hands messages that need the node's log: it makes them durable and then
/// calls `MeshDriver.persisted` (or `discard`). Called on the driver's event loop; an
/// implementation hops off it for anything slow.
public protocol ForwardingSink: AnyObject, Sendable {
    /// A peer handed this node a message and the routing core took custody of it.
    func accept(_ offer: ForwardOffer)
    /// The message is for recipients on this node.
    func deliver(_ id: MessageID)
    /// Every next hop acknowledged it: it can leave the durable outbox.
    func released(_ id: MessageID)
    /// Given up on `targets` (the reason says why); `payload` is set when the message was never
    /// logged here (refused on arrival).
    func deadLetter(_ id: MessageID, targets: [RouteTarget], reason: String, payload: [UInt8]?)
}

/// A message a peer handed on, as accepted by the routing core.
public struct ForwardOffer: Sendable {
    public var id: MessageID
    public var payload: [UInt8]
    public var hopCount: UInt8
    public var role: LogRole
    public var deliverHere: Bool
    /// Nodes this node must now get it to (its outbox entry).
    public var targets: [RouteTarget]
    public var from: NodeID
}

/// What `/v1/routes` shows.
public struct RouteSnapshot: Sendable {
    public var table: RouteTable
    public var graph: RoutingGraph
    public var stats: ForwardingStats
    public var held: Int
    public var settings: RoutingSettings
}

extension MeshDriver {
    public var outboxLimit: Int { configuration.routing.outboxLimit }

    /// Registers the node's log as the sink for forwarded messages; must precede `start`.
    public func setForwardingSink(_ sink: any ForwardingSink) {
        loop.execute { [self] in forwardingSink = sink }
    }

    /// A message entering the mesh at this node (after validation, before logging). On
    /// `.accepted`, log it with the targets and call `persisted`; on failure, `abandon`.
    public func originate(_ id: MessageID, payload: [UInt8], destinations: [String], topic: String) async throws -> Admission {
        try await loop.submit { [self] in
            guard core != nil else { throw MeshDriverError.notStarted }
            return routing.originate(id, payload: payload, destinations: destinations, topic: topic, now: now)
        }.get()
    }

    /// `id` is durable in the log and outbox: acknowledge, deliver and forward it.
    public func persisted(_ id: MessageID, payload: [UInt8]) {
        loop.execute { [self] in forward { routing, now in routing.persisted(id, payload: payload, now: now) } }
    }

    /// A peer's message that was not a valid envelope: acknowledged (the sink dead-lettered it), never forwarded.
    public func discard(_ id: MessageID) {
        loop.execute { [self] in forward { routing, _ in routing.discard(id) } }
    }

    /// The log refused `id`: forget it so a retransmission is taken afresh.
    public func abandon(_ id: MessageID) {
        loop.execute { [self] in routing.abandon(id) }
    }

    /// Messages the durable outbox still held at start.
    public func restore(_ items: [(id: MessageID, payload: [UInt8], hopCount: UInt8, targets: [RouteTarget])]) async throws {
        try await loop.submit { [self] in
            for item in items { routing.restore(item.id, payload: item.payload, hopCount: item.hopCount, targets: item.targets, now: now) }
            forward { routing, now in routing.dispatch(now: now) }
        }.get()
    }

    /// Announces the topic patterns local subscribers have interest in.
    public func setInterest(_ patterns: [String]) async throws {
        try await withCore { core, now in (core.setInterest(patterns, now: now), ()) }
    }

    /// Which of `subjects` are homed at this node. Only on the driver's loop (sink callbacks).
    public func homedHere(_ subjects: [String]) -> [String] {
        loop.preconditionInEventLoop()
        return routing.graph.homedHere(subjects)
    }

    public func routeSnapshot() async throws -> RouteSnapshot {
        try await loop.submit { [self] in
            guard core != nil else { throw MeshDriverError.notStarted }
            let table = routing.routes()
            return RouteSnapshot(table: table, graph: routing.graph, stats: routing.stats, held: routing.heldCount, settings: routing.settings)
        }.get()
    }

    func dataReceived(_ frame: DataFrame, from: NodeID) {
        // Without a log to make it durable the message cannot be taken: no ack, the sender keeps it.
        guard let sink = forwardingSink else { return }
        let (admission, out) = routing.receive(frame, from: from, now: now)
        switch admission {
        case .accepted(let role, let deliverHere, let targets):
            sink.accept(ForwardOffer(id: frame.id, payload: frame.payload, hopCount: frame.hopCount, role: role,
                                     deliverHere: deliverHere, targets: targets, from: from))
        case .refused(let reason):
            sink.deadLetter(frame.id, targets: frame.targets.map { .node($0) }, reason: reason, payload: frame.payload)
        case .duplicate, .busy:
            break
        }
        executeForward(out)
    }

    /// Feeds the routing core one input and carries out what it asks.
    func forward(_ body: (inout RoutingCore, MeshInstant) -> [ForwardDirective]) {
        executeForward(body(&routing, now))
    }

    /// The mesh core reported registry or membership changes: the routing graph follows.
    func meshChanged(owners: [NodeID], members: [NodeID]) {
        guard let core, !owners.isEmpty || !members.isEmpty else { return }
        forward { routing, now in routing.meshChanged(core, owners: owners, members: members, now: now) }
    }

    func executeForward(_ directives: [ForwardDirective]) {
        var touched: [ObjectIdentifier: PeerLink] = [:]
        for directive in directives {
            switch directive {
            case .send(let frame, let to):
                guard let core else { continue }
                if let link = enqueue(.data(frame), to: core.peer(to), flushNow: false) { touched[ObjectIdentifier(link)] = link }
            case .ack(let ack, let to):
                queueAck(ack, to: to)
            case .deliver(let id):
                forwardingSink?.deliver(id)
            case .released(let id):
                forwardingSink?.released(id)
            case .deadLetter(let id, let targets, let reason):
                forwardingSink?.deadLetter(id, targets: targets, reason: reason, payload: nil)
            case .schedule(let timer, let after):
                loop.scheduleTask(in: .nanoseconds(after.nanoseconds)) { [self] in
                    guard phase != .stopped else { return }
                    forward { routing, now in routing.timerFired(timer, now: now) }
                }
            }
        }
        for link in touched.values { link.flush() }
    }

    /// Acks go out in one frame per peer per event-loop turn.
    func queueAck(_ ack: DataAck, to node: NodeID) {
        if pendingAcks.isEmpty {
            loop.execute { [self] in flushAcks() }
        }
        pendingAcks[node, default: []].append(ack)
    }

    func flushAcks() {
        let batches = pendingAcks
        pendingAcks = [:]
        guard let core else { return }
        for (node, acks) in batches {
            var start = 0
            while start < acks.count {
                let end = min(start + DataAck.maxPerFrame, acks.count)
                send(.acks(Array(acks[start..<end])), to: core.peer(node))
                start = end
            }
        }
    }
}
