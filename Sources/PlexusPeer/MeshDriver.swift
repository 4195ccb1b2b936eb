import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import OrderedCollections
import PlexusCore
import PlexusIdentity

/// The shell around `MeshCore` on a real node: it owns the core, feeds it frames from peer links
/// and timer firings with the monotonic clock and a system random source, and carries out the
/// directives it returns over TLS links. Protocol decisions are all the core's.
///
/// Everything runs on one event loop: the core, every peer link's pipeline and the timers. The
/// mesh's traffic is small, so one thread is plenty, and a single thread makes every handler
/// call a plain synchronous call into the driver with no locks and no reordering.
///
/// `@unchecked Sendable`: the mutable state below is only touched on `loop` (entry points from
/// other threads hop there with `loop.submit`/`execute`; NIO callbacks already run there).
public final class MeshDriver: @unchecked Sendable {
    public let loop: any EventLoop
    let configuration: PeerMeshConfiguration
    let identity: NodeIdentity
    let trust: TrustStore
    var logger: Logger
    let generation: UInt64
    var record: JSONObject

    var core: MeshCore?
    var rng = SystemRandomNumberGenerator()
    var contexts: (server: NIOSSLContext, client: NIOSSLContext)
    var serverChannel: (any Channel)?
    /// The `host:port` peers dial to reach this node.
    public private(set) var advertisedAddress = ""
    var outbound: [String: PeerLink] = [:]
    var inbound: [ObjectIdentifier: PeerLink] = [:]
    /// Listen addresses peers announced in their hello: how to answer a node the core has not
    /// yet learned as a member (a seed's first reply, a joining node).
    var helloAddresses: [NodeID: String] = [:]
    var counters = LinkCounters()
    /// `leaving`: the leave is spreading (timers and sends still work); `stopped`: links closed.
    enum Phase { case running, leaving, stopped }
    var phase = Phase.running
    var routing: RoutingCore
    var forwardingSink: (any ForwardingSink)?
    /// Told of every change to a kind of registry entry, with all live entries of that kind.
    var registryObservers: [RegistryKind: @Sendable ([RegistryEntry]) -> Void] = [:]
    var pendingAcks: [NodeID: [DataAck]] = [:]

    public init(configuration: PeerMeshConfiguration, identity: NodeIdentity, trust: TrustStore,
                loop: any EventLoop, logger: Logger) throws {
        self.configuration = configuration
        self.identity = identity
        self.trust = trust
        self.loop = loop
        self.logger = logger
        self.logger[metadataKey: "plexus.node"] = "\(identity.nodeID)"
        self.generation = UInt64(Date().timeIntervalSince1970 * 1000)
        var record: JSONObject = [:]
        record["organisation"] = .string(identity.organisation)
        record["cluster"] = .string(identity.cluster)
        record["name"] = .string(identity.name)
        record["certificate"] = .string(Data(identity.certificateDER).base64EncodedString())
        self.record = record
        self.contexts = try PeerTLS.contexts(identity: identity, trust: trust)
        self.routing = RoutingCore(me: identity.nodeID, settings: configuration.routing)
        if let neighbors = configuration.neighbors { self.record["neighbors"] = .array(neighbors.map { .string($0) }) }
        if !configuration.linkCosts.isEmpty {
            self.record["link_costs"] = .object(JSONObject(uniqueKeysWithValues: configuration.linkCosts.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) }))
        }
    }

    public var nodeID: NodeID { identity.nodeID }

    /// The monotonic clock the core runs on.
    var now: MeshInstant { MeshInstant(nanoseconds: Int64(NIODeadline.now().uptimeNanoseconds)) }

    /// Binds the peer listener and starts the protocol. Returns the advertised address.
    /// - Parameter record: extra fields of this node's registry entry (its HTTP address,
    ///   capabilities); organisation, cluster, name and the certificate are added already.
    public func start(record extra: JSONObject = [:]) async throws -> String {
        let channel = try await ServerBootstrap(group: loop)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.accept(channel) }
            }
            .bind(host: configuration.listenHost, port: configuration.listenPort).get()
        do {
            return try await begin(on: channel, record: extra)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private func begin(on channel: any Channel, record extra: JSONObject) async throws -> String {
        try await loop.submit { [self] in
            for (key, value) in extra { record[key] = value }
            serverChannel = channel
            let port = channel.localAddress?.port ?? configuration.listenPort
            advertisedAddress = configuration.advertise ?? "\(configuration.listenHost):\(port)"
            core = MeshCore(id: identity.nodeID, address: advertisedAddress,
                                signingKey: try NodeSigningKey(seed: identity.signingSeed),
                                settings: configuration.settings, generation: generation, record: record,
                                trust: CertificateTrust(store: trust))
            drive { core, now, rng in core.start(seeds: configuration.seeds, now: now, rng: &rng) }
            forward { routing, now in routing.syncAll(core!, now: now) }
            scheduleLinkTick()
            logger.info("mesh listening", metadata: ["plexus.address": "\(advertisedAddress)", "plexus.seeds": "\(configuration.seeds)"])
            return advertisedAddress
        }.get()
    }

    /// Graceful leave: tells the mesh this node is going (so peers mark it left rather than
    /// suspect it), keeps gossiping for `linger` so the news spreads, then closes every link and
    /// the listener.
    public func stop(linger: Duration = .milliseconds(600)) async {
        let leaving = try? await loop.submit { [self] () -> Bool in
            guard phase == .running else { return false }
            phase = .leaving
            drive { core, now, _ in core.leave(now: now) }
            return true
        }.get()
        if leaving == true { try? await Task.sleep(for: linger) }
        let closing = try? await loop.submit { [self] () -> (any Channel)? in
            phase = .stopped
            for link in outbound.values { link.close() }
            for link in inbound.values { link.close() }
            return serverChannel
        }.get()
        if let channel = closing ?? nil { try? await channel.close() }
    }

    /// Runs `body` on the loop with the core (for reads and writes from the API).
    func withCore<T: Sendable>(_ body: @escaping @Sendable (inout MeshCore, MeshInstant) -> ([MeshDirective], T)) async throws -> T {
        try await loop.submit { [self] in
            guard core != nil else { throw MeshDriverError.notStarted }
            let (directives, result) = body(&core!, now)
            execute(directives)
            return result
        }.get()
    }

    /// Writes (or with `nil`, deletes) an entry this node owns; it reaches every node by gossip.
    public func publish(kind: RegistryKind, id: String, value: JSONValue?) async throws {
        try await withCore { core, now in (core.publish(kind: kind, id: id, value: value, now: now), ()) }
    }

    /// Calls `handler` (on the mesh loop: hand the work off) with every live entry of `kind`
    /// whenever one of them changes, and once now.
    public func observeRegistry(_ kind: RegistryKind, _ handler: @escaping @Sendable ([RegistryEntry]) -> Void) {
        loop.execute { [self] in
            registryObservers[kind] = handler
            if let core { handler(core.registry.live(kind)) }
        }
    }

    // MARK: - Directives and timers

    func execute(_ directives: [MeshDirective]) {
        var owners: [NodeID] = [], members: [NodeID] = []
        var observed: Set<RegistryKind> = []
        defer {
            meshChanged(owners: owners, members: members)
            if let core {
                for kind in observed { registryObservers[kind]?(core.registry.live(kind)) }
            }
        }
        for directive in directives {
            switch directive {
            case .send(let message, let peer):
                send(.mesh(message), to: peer)
            case .schedule(let timer, let delay):
                loop.scheduleTask(in: .nanoseconds(delay.nanoseconds)) { [self] in fire(timer) }
            case .membershipChanged(let change):
                members.append(change.node)
                logger.info("member \(change)", metadata: ["plexus.peer": "\(change.node)"])
            case .registryChanged(let change):
                owners.append(change.key.owner)
                if registryObservers[change.key.kind] != nil { observed.insert(change.key.kind) }
                logger.debug("registry \(change.action) \(change.key) v\(change.version)")
            }
        }
    }

    func fire(_ timer: MeshTimer) {
        guard phase != .stopped else { return }
        drive { core, now, rng in core.timerFired(timer, now: now, rng: &rng) }
    }

    /// Feeds the core one input. The core is mutated in place (`&core!`): copying it out and
    /// back would copy every table it holds on every input.
    func drive(_ body: (inout MeshCore, MeshInstant, inout SystemRandomNumberGenerator) -> [MeshDirective]) {
        guard core != nil else { return }
        let directives = body(&core!, now, &rng)
        execute(directives)
    }
}

/// Why a driver call could not be carried out.
public struct MeshDriverError: Error, CustomStringConvertible {
    public var description: String
    static let notStarted = MeshDriverError(description: "the mesh has not started")
}

/// Counters of the transport, next to the core's protocol counters (shown in `/v1/mesh`).
public struct LinkCounters: Sendable, Equatable {
    public var handshakesRefused = 0
    public var protocolErrors = 0
    public var dialFailures = 0
    public var framesDropped = 0
    public var unroutable = 0
}

/// A consistent copy of the driver's state for readers off the loop (the HTTP API). The core
/// is a value, so the copy is cheap until the loop next changes it.
public struct MeshSnapshot: Sendable {
    public struct Link: Sendable {
        public var node: NodeID
        public var direction: String
        public var address: String
        public var rttMilliseconds: Double?
        public var queued: Int
    }

    public var core: MeshCore
    public var links: [Link]
    public var counters: LinkCounters
    public var identity: NodeIdentity
}

extension MeshDriver {
    public func snapshot() async throws -> MeshSnapshot {
        try await loop.submit { [self] in
            guard let core else { throw MeshDriverError.notStarted }
            var links: [MeshSnapshot.Link] = []
            for link in Array(outbound.values) + Array(inbound.values) {
                guard let remote = link.remote, link.channel != nil else { continue }
                links.append(.init(node: remote.nodeID, direction: link.direction.rawValue, address: link.address,
                                   rttMilliseconds: link.rttMilliseconds, queued: link.queue.count))
            }
            return MeshSnapshot(core: core, links: links, counters: counters, identity: identity)
        }.get()
    }
}
