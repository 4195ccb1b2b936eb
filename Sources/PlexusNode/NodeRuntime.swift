import Logging
import NIOCore
import PlexusAPI
import PlexusCore
import PlexusEdge
import PlexusStore
import Synchronization

/// The node's ingest path: the pure pipeline decides, the store makes it durable, the hub
/// streams it. This is the shell around the core: it reads the clock and the random source and
/// passes them in, so the core stays replayable.
public final class NodeRuntime: MessageIngestor {
    public let pipeline: IngestPipeline
    public let store: any MessageStore
    public let hub: StreamHub
    /// Store-and-forward over the mesh; nil on a node without one.
    let forwarder: MeshForwarder?
    let pushes: PushSubscriptions?
    /// Poked whenever this node logs a message it delivers, for the edges' log followers.
    public let logSignal: LogSignal
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    /// The constraint checker; nil on a node built without a config store (tests of the log).
    let gate: ConstraintGate?
    /// Only `MessageID.v7` draws from it. The system's secure random bytes by default (a node
    /// reads them through `BufferedSystemRandom`; the public init draws them directly): ids
    /// must not be predictable, or a client could pre-claim another client's next id and have
    /// its message dropped as a duplicate. Tests and simulations pass a seeded one.
    private let rng: Mutex<any RandomNumberGenerator & Sendable>

    public convenience init(
        pipeline: IngestPipeline,
        store: any MessageStore,
        hub: StreamHub,
        clock: @escaping @Sendable () -> Timestamp = WallClock.now,
        rng: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
        logger: Logger
    ) {
        self.init(pipeline: pipeline, store: store, hub: hub, clock: clock, rng: rng, logger: logger, forwarder: nil, logSignal: LogSignal(), gate: nil)
    }

    init(
        pipeline: IngestPipeline,
        store: any MessageStore,
        hub: StreamHub,
        clock: @escaping @Sendable () -> Timestamp = WallClock.now,
        rng: any RandomNumberGenerator & Sendable = BufferedSystemRandom(),
        logger: Logger,
        forwarder: MeshForwarder?,
        pushes: PushSubscriptions? = nil,
        logSignal: LogSignal,
        gate: ConstraintGate? = nil
    ) {
        self.gate = gate
        self.logSignal = logSignal
        self.pushes = pushes
        self.forwarder = forwarder
        self.pipeline = pipeline
        self.store = store
        self.hub = hub
        self.clock = clock
        self.rng = Mutex(rng)
        self.logger = logger
    }

    public func ingest(_ body: ByteBuffer, via ingress: Ingress) async throws(PlexusError) -> [IngestReceipt] {
        let admitted = try admit(body, via: ingress, now: clock())
        do {
            return try await log(admitted.envelopes, via: ingress)
        } catch {
            gate?.giveBack(admitted.charges)
            throw error
        }
    }

    public func ingest(frames bodies: [ByteBuffer], via ingress: Ingress) async -> [Result<[IngestReceipt], PlexusError>] {
        let now = clock()
        var outcomes: [Result<[IngestReceipt], PlexusError>?] = Array(repeating: nil, count: bodies.count)
        // Each admitted frame's place in `envelopes`, so its receipts can be handed back to it.
        var admitted: [(index: Int, range: Range<Int>, charges: [RateCharge])] = []
        var envelopes: [Envelope] = []
        for (index, body) in bodies.enumerated() {
            do throws(PlexusError) {
                let frame = try admit(body, via: ingress, now: now)
                admitted.append((index, envelopes.count..<(envelopes.count + frame.envelopes.count), frame.charges))
                envelopes += frame.envelopes
            } catch {
                outcomes[index] = .failure(error)
            }
        }
        if !envelopes.isEmpty {
            do throws(PlexusError) {
                let receipts = try await log(envelopes, via: ingress)
                for frame in admitted { outcomes[frame.index] = .success(Array(receipts[frame.range])) }
            } catch {
                for frame in admitted {
                    gate?.giveBack(frame.charges)
                    outcomes[frame.index] = .failure(error)
                }
            }
        }
        return outcomes.map { $0 ?? .failure(PlexusError(.unavailable, "the frame was not processed")) }
    }

    /// Parses, validates, normalises and checks against the constraints one body (a message or
    /// a batch): what `log` then takes, and the rate-limit tokens to give back if it fails.
    private func admit(_ body: ByteBuffer, via ingress: Ingress, now: Timestamp) throws(PlexusError) -> (envelopes: [Envelope], charges: [RateCharge]) {
        // The closures below are not typed-throws aware, so the core's result travels as a Result.
        let parsed: Result<JSONValue, PlexusError> = body.withUnsafeReadableBytes { bytes in
            Result { () throws(PlexusError) in try pipeline.parse(bytes) }
        }
        // Decoding (up to a whole batch) happens outside the lock; only drawing ids is serialised.
        let value = try parsed.get()
        let drafts = try EnvelopeDecoder.decodeBatch(value, limits: pipeline.limits)
        var envelopes = rng.withLock { rng in
            drafts.map { $0.normalized(node: pipeline.node, now: now, rng: &rng) }
        }
        guard let gate else {
            Self.stripDecisions(&envelopes)
            return (envelopes, [])
        }
        let isBatch: Bool
        if case .array = value { isBatch = true } else { isBatch = false }
        switch gate.check(envelopes, ingress: ingress.rawValue, batch: isBatch) {
        case .accepted(let checked, let charges):
            return (checked, charges)
        case .refused(let error, let denied):
            ConstraintGate.keep(denied, in: store, now: now)
            throw error
        }
    }

    public func ingest(each items: [IngestItem], via ingress: Ingress) async -> [Result<IngestReceipt, PlexusError>] {
        let now = clock()
        var outcomes: [Result<IngestReceipt, PlexusError>?] = Array(repeating: nil, count: items.count)
        var drafts: [(index: Int, draft: EnvelopeDraft)] = []
        for (index, item) in items.enumerated() {
            let parsed: Result<JSONValue, PlexusError> = item.body.withUnsafeReadableBytes { bytes in
                Result { () throws(PlexusError) in try pipeline.parse(bytes) }
            }
            do throws(PlexusError) {
                var draft = try EnvelopeDecoder.decode(try parsed.get(), limits: pipeline.limits)
                if draft.messageID == nil { draft.messageID = item.fallbackID }
                drafts.append((index, draft))
            } catch {
                outcomes[index] = .failure(error)
            }
        }
        if !drafts.isEmpty {
            var envelopes = rng.withLock { rng in
                drafts.map { $0.draft.normalized(node: pipeline.node, now: now, rng: &rng) }
            }
            if gate == nil { Self.stripDecisions(&envelopes) }
            var charges: [RateCharge] = []
            if let gate {
                // Each item stands alone: a refused one fails by itself (the edge dead-letters it).
                var kept: [(index: Int, draft: EnvelopeDraft)] = []
                var keptEnvelopes: [Envelope] = []
                for (entry, envelope) in zip(drafts, envelopes) {
                    switch gate.check([envelope], ingress: ingress.rawValue, batch: false) {
                    case .accepted(let checked, let owed):
                        kept.append(entry)
                        keptEnvelopes += checked
                        charges += owed
                    case .refused(let error, let denied):
                        ConstraintGate.keep(denied, in: store, now: now)
                        outcomes[entry.index] = .failure(error)
                    }
                }
                drafts = kept
                envelopes = keptEnvelopes
            }
            guard !drafts.isEmpty else {
                return outcomes.map { $0 ?? .failure(PlexusError(.unavailable, "the item was not processed")) }
            }
            do throws(PlexusError) {
                let receipts = try await log(envelopes, via: ingress)
                for (entry, receipt) in zip(drafts, receipts) { outcomes[entry.index] = .success(receipt) }
            } catch {
                gate?.giveBack(charges)
                for entry in drafts { outcomes[entry.index] = .failure(error) }
            }
        }
        return outcomes.map { $0 ?? .failure(PlexusError(.unavailable, "the item was not processed")) }
    }

    private func appended(_ records: [LogRecord], via ingress: Ingress) async throws(PlexusError) -> [AppendOutcome] {
        do {
            return try await store.append(records)
        } catch {
            logger.warning("log append failed", metadata: ["plexus.ingress": "\(ingress.rawValue)", "plexus.error": "\(error)"])
            // The details (paths, SQLite codes) stay in the node's log; the client learns to retry.
            throw PlexusError(.unavailable, "the message log cannot take messages right now; nothing was acknowledged, retry later")
        }
    }

    /// A decision is the origin's checker's to record; whatever a client sent is dropped.
    static func stripDecisions(_ envelopes: inout [Envelope]) {
        for index in envelopes.indices { envelopes[index].policyDecision = nil }
    }

    /// Appends to the log and, once committed, streams what was new.
    public func log(_ envelopes: [Envelope], via ingress: Ingress) async throws(PlexusError) -> [IngestReceipt] {
        // Serialised here, on the caller's thread: the rest of the way runs on the mesh's loop
        // (with a PostgreSQL log, its COPY encoding in `append` too).
        var records = envelopes.map { LogRecord(envelope: $0) }
        let outcomes: [AppendOutcome]
        if let forwarder {
            // The routing core, the log's answer and the onward sends meet on the driver's loop;
            // going back to the cooperative pool between them cost two thread wake-ups a batch.
            (records, outcomes) = try await withTaskExecutorPreference(forwarder.executor) { () async throws(PlexusError) in
                let origination = try await forwarder.originate(records)
                do throws(PlexusError) {
                    let outcomes = try await appended(origination.records, via: ingress)
                    forwarder.committed(origination, outcomes)
                    return (origination.records, outcomes)
                } catch {
                    forwarder.committed(origination, nil)
                    throw error
                }
            }
        } else {
            outcomes = try await appended(records, via: ingress)
        }
        // By index, not by zipping the records: that copied each one (see `MeshForwarder.committed`).
        let receipts = outcomes.indices.map { i in
            var refused: String?
            if case .refused(let reason) = outcomes[i] { refused = reason }
            return IngestReceipt(messageID: records[i].envelope.messageID, duplicate: outcomes[i] == .duplicate, refused: refused)
        }
        if outcomes.contains(where: \.isNewlyLogged) { logSignal.poke() }
        // Frames are copies of the logged bytes; make them only when someone is streaming.
        if !hub.isIdle || pushes?.all.isEmpty == false {
            let fresh = zip(records, outcomes).filter { $0.1.isNewlyLogged }.map(\.0)
            if !fresh.isEmpty {
                let frames = fresh.map { ByteBuffer(bytes: $0.json) }
                hub.publish(fresh.map(\.envelope), frames: frames)
                pushes?.offer(fresh.map(\.envelope), frames: frames)
            }
        }
        return receipts
    }
}
