import NIOCore
import PlexusCore

/// Where the driver hands messages that need the node's log: it makes them durable and then
/// calls `MeshDriver.persisted` (or `discard`). Called on the driver's event loop; an
/// implementation must not block it (the node's forwarder validates there and waits for its log
/// without blocking: only the commit runs on another thread).
public protocol ForwardingSink: AnyObject, Sendable {
    /// A peer handed this node a message and the routing core took custody of it.
    func accept(_ offer: ForwardOffer)
    /// The messages are for recipients on this node. Like `released`, one call carries all of
    /// them that one input to the routing core produced (a commit, a frame of acks).
    func deliver(_ ids: [MessageID])
    /// Every next hop acknowledged them: they can leave the durable outbox.
    func released(_ ids: [MessageID])
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

/// A message entering the mesh at this node, as `MeshDriver.originate` offers it to the core.
public struct Originating: Sendable {
    public var id: MessageID
    /// The envelope's wire JSON, as logged.
    public var payload: [UInt8]
    public var destinations: [String]
    public var topic: String

    public init(id: MessageID, payload: [UInt8], destinations: [String], topic: String) {
        self.id = id
        self.payload = payload
        self.destinations = destinations
        self.topic = topic
    }
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

    /// Messages entering the mesh at this node (one ingest batch, validated, not yet logged),
    /// offered in one hop onto the loop: a per-message `loop.submit` made a 200-message frame
    /// 200 round trips. Log the `.accepted` ones with their targets, then call `persisted`; if
    /// the append fails, `abandon` them.
    ///
    /// Returns one admission per message in order, unless the outbox fills: then the last
    /// admission is `.busy`, the rest were not offered, and the ones this batch had admitted are
    /// already abandoned (the client is told to retry the whole frame).
    public func originate(_ batch: [Originating]) async throws -> [Admission] {
        try await loop.submit { [self] in
            guard core != nil else { throw MeshDriverError.notStarted }
            let now = self.now
            var admissions: [Admission] = []
            admissions.reserveCapacity(batch.count)
            for message in batch {
                let admission = routing.originate(message.id, payload: message.payload, destinations: message.destinations,
                                                  topic: message.topic, now: now)
                admissions.append(admission)
                if admission == .busy {
                    // Only what this batch admitted: a duplicate is another request's message.
                    for (earlier, a) in zip(batch, admissions) { if case .accepted = a { routing.abandon(earlier.id) } }
                    break
                }
            }
            return admissions
        }.get()
    }

    /// The messages are durable in the log and outbox (one commit): acknowledge, deliver and
    /// forward them. One hop onto the loop for the batch, and their acks, sends and deliveries
    /// are carried out together, so each link is flushed once per batch, not once per message.
    public func persisted(_ batch: [(id: MessageID, payload: [UInt8])]) {
        guard !batch.isEmpty else { return }
        loop.execute { [self] in
            let now = self.now
            var out: [ForwardDirective] = []
            for item in batch { out += routing.persisted(item.id, payload: item.payload, now: now) }
            executeForward(out)
        }
    }

    /// Peers' messages that were not valid envelopes: acknowledged (the sink dead-lettered
    /// them), never forwarded.
    public func discard(_ ids: [MessageID]) {
        guard !ids.isEmpty else { return }
        loop.execute { [self] in
            var out: [ForwardDirective] = []
            for id in ids { out += routing.discard(id) }
            executeForward(out)
        }
    }

    /// The log refused these (one failed append): forget them so retransmissions (or the
    /// client's retry) are taken afresh.
    public func abandon(_ ids: [MessageID]) {
        guard !ids.isEmpty else { return }
        loop.execute { [self] in for id in ids { routing.abandon(id) } }
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

    /// For each list, which of its subjects are homed at this node: one hop onto the loop for a
    /// batch (the node writes them to the store's inbox table with the log row).
    public func homedHere(each lists: [[String]]) async -> [[String]] {
        (try? await loop.submit { [self] in lists.map { routing.graph.homedHere($0) } }.get()) ?? lists.map { _ in [] }
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
        // Handed to the sink once per call: a batch of acks releases (or a batch of commits
        // delivers) hundreds of messages, and each sink call takes locks and may wake the store.
        var deliveries: [MessageID] = [], releases: [MessageID] = []
        var silentPeers: [NodeID] = []
        defer {
            if !deliveries.isEmpty { forwardingSink?.deliver(deliveries) }
            if !releases.isEmpty { forwardingSink?.released(releases) }
        }
        for directive in directives {
            switch directive {
            case .send(let frame, let to):
                guard let core else { continue }
                if let link = enqueue(.data(frame), to: core.peer(to), flushNow: false) { touched[ObjectIdentifier(link)] = link }
            case .ack(let ack, let to):
                queueAck(ack, to: to)
            case .deliver(let id):
                deliveries.append(id)
            case .released(let id):
                releases.append(id)
            case .deadLetter(let id, let targets, let reason):
                forwardingSink?.deadLetter(id, targets: targets, reason: reason, payload: nil)
            case .schedule(let timer, let after):
                loop.scheduleTask(in: .nanoseconds(after.nanoseconds)) { [self] in
                    guard phase != .stopped else { return }
                    forward { routing, now in routing.timerFired(timer, now: now) }
                }
            case .checkPeer(let node):
                silentPeers.append(node)
            }
        }
        for link in touched.values { link.flush() }
        // After the data is on its way, and outside the loop above: a probe's send can close a
        // link, and a closed link feeds routing again (`linkClosed`).
        if phase == .running {
            for node in silentPeers { drive { core, now, rng in core.probeNow(node, now: now, rng: &rng) } }
        }
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
