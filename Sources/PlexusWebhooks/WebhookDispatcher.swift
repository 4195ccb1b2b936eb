import Foundation
import Logging
import NIOCore
import NIOPosix
import PlexusCore

/// Sends node events to webhook endpoints (RELIABILITY S4, S5): signed per Standard Webhooks,
/// persisted before `publish` returns, retried with jittered backoff, guarded against SSRF at
/// every send, and stopped for good by a 410.
///
/// Lifecycle: `open`, then run `run()` in a task (it returns when that task is cancelled), feed
/// it `update(endpoints:)` and `publish(_:)`; to stop, cancel `run()`, wait for it, then `close()`.
/// An attempt cut short by the cancellation is not recorded and is sent again after the next
/// start: delivery is at least once, and receivers dedupe on `webhook-id`.
///
/// The per-delivery decisions (retry or not, when, disable the endpoint) are made by the pure
/// `WebhookDeliveryState` in PlexusCore; this actor only stores, schedules and sends.
public actor WebhookDispatcher {
    let configuration: Configuration
    let store: WebhookDeliveryStore
    let poster: GuardedPoster
    let now: @Sendable () -> Timestamp
    let logger: Logger
    let wakeup = WebhookWakeup()

    private var rng: SplitMix64
    private var endpoints: [String: WebhookEndpoint] = [:]
    /// Disabled by a 410; mirrors the store's table.
    private var goneEndpoints: Set<String>
    /// Deliveries with an attempt under way; the store still says pending for them.
    private var inFlight: Set<Int64> = []
    private var closed = false
    /// One run loop at a time: the wakeup has room for one waiter.
    private var running = false

    /// A claimed delivery with the endpoint as it was configured at claim time.
    struct Job: Sendable {
        var delivery: WebhookDeliveryStore.DueDelivery
        var endpoint: WebhookEndpoint
        var attempt: Int
    }

    /// Opens (or creates) the delivery database at `configuration.databasePath`.
    ///
    /// - Parameters:
    ///   - now: the wall clock; tests may pass their own.
    ///   - seed: seeds the retry jitter; nil draws one from the system's generator.
    ///   - resolver: resolves endpoint hosts before the guard checks them.
    public static func open(
        configuration: Configuration,
        now: @escaping @Sendable () -> Timestamp = WebhookDispatcher.systemNow,
        seed: UInt64? = nil,
        resolver: any WebhookHostResolver = WebhookSystemResolver(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "plexus.webhooks")
    ) async throws -> WebhookDispatcher {
        try configuration.validate()
        let client = try WebhookHTTPClient(
            group: eventLoopGroup, extraTrustRoots: configuration.extraTrustRoots, userAgent: configuration.userAgent
        )
        let store = try await WebhookDeliveryStore.open(path: configuration.databasePath, logger: logger)
        let gone: Set<String>
        do {
            gone = try await store.disabledEndpoints()
        } catch {
            await store.close()
            throw error
        }
        return WebhookDispatcher(
            configuration: configuration, store: store, client: client, resolver: resolver, now: now,
            seed: seed ?? UInt64.random(in: .min ... .max), gone: gone, logger: logger
        )
    }

    private init(
        configuration: Configuration, store: WebhookDeliveryStore, client: WebhookHTTPClient,
        resolver: any WebhookHostResolver, now: @escaping @Sendable () -> Timestamp, seed: UInt64,
        gone: Set<String>, logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.poster = GuardedPoster(addressGuard: configuration.addressGuard, resolver: resolver, client: client)
        self.now = now
        self.rng = SplitMix64(seed: seed)
        self.goneEndpoints = gone
        self.logger = logger
    }

    /// The real clock (CLOCK_REALTIME), read only here in the shell.
    @Sendable public static func systemNow() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }

    // MARK: Configuration

    /// Replaces the endpoint set, typically whenever the configuration store changes. Every
    /// endpoint is validated first (its URL through the address guard); on any error nothing
    /// changes and the error names the endpoint.
    ///
    /// Pending deliveries of an endpoint that is removed or disabled here are held, not dropped:
    /// they go out if it comes back.
    public func update(endpoints newEndpoints: [WebhookEndpoint]) throws(PlexusError) {
        var byID: [String: WebhookEndpoint] = [:]
        for endpoint in newEndpoints {
            try endpoint.validate(addressGuard: configuration.addressGuard)
            guard byID.updateValue(endpoint, forKey: endpoint.id) == nil else {
                throw PlexusError(.invalidField, "webhook endpoint id \"\(endpoint.id)\" appears twice")
            }
        }
        endpoints = byID
        wakeup.signal()
    }

    /// Endpoints disabled because their receiver answered 410 Gone.
    public var disabledEndpoints: Set<String> { goneEndpoints }

    /// Re-enables an endpoint disabled by a 410 (the operator says the receiver is back). Its
    /// deliveries stopped at the time stay stopped.
    public func enable(endpointID: String) async throws {
        try await store.enableEndpoint(endpointID)
        goneEndpoints.remove(endpointID)
        wakeup.signal()
    }

    // MARK: Publishing

    /// Queues one delivery per enabled endpoint that subscribed to the event, and returns once
    /// they are committed to disk (their ids; none when no endpoint matches). Publishing the
    /// same event id again queues nothing new.
    @discardableResult
    public func publish(_ event: WebhookEvent) async throws -> [Int64] {
        guard !closed else { throw PlexusError(.unavailable, "the webhook dispatcher is closed") }
        // The id and kind travel in headers and the log; refuse what could break a header line.
        guard Self.isToken(event.id, maxLength: 256) else {
            throw PlexusError(.invalidField, "webhook event id must be 1 to 256 printable ASCII characters without spaces")
        }
        guard Self.isToken(event.kind, maxLength: 128) else {
            throw PlexusError(.invalidField, "webhook event kind must be 1 to 128 printable ASCII characters without spaces")
        }
        let targets = endpoints.values
            .filter { !$0.disabled && !goneEndpoints.contains($0.id) && $0.matches(event) }
            .sorted { $0.id < $1.id }
        guard !targets.isEmpty else { return [] }
        let body = event.body()
        let rows = targets.map {
            WebhookDeliveryStore.NewDelivery(endpointID: $0.id, eventID: event.id, eventKind: event.kind, body: body)
        }
        let ids = try await store.insert(rows, createdAt: now())
        wakeup.signal()
        return ids
    }

    /// The delivery log of one endpoint, newest first.
    public func deliveries(endpointID: String, limit: Int = 50) async throws -> [WebhookDeliveryRecord] {
        try await store.deliveries(endpointID: endpointID, limit: limit)
    }

    // MARK: Running

    /// Sends due deliveries, at most `maxConcurrentDeliveries` at once, until the calling task is
    /// cancelled or the dispatcher closed. Attempts run as child tasks of this call, so none
    /// outlives it. Store errors are logged and retried after `idleWait`; they never end the loop.
    public func run() async {
        guard !running else {
            logger.warning("WebhookDispatcher.run() called while already running; ignored")
            return
        }
        running = true
        defer { running = false }
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled && !closed {
                var pause = configuration.idleWait
                do {
                    for job in try await claimDueJobs() {
                        group.addTask { await self.perform(job) }
                    }
                    pause = try await timeUntilNextDue()
                } catch {
                    logger.error("webhook delivery store failed; retrying", metadata: [
                        "plexus.webhook.store": .string(store.path), "plexus.error": .string("\(error)"),
                    ])
                }
                await wakeup.wait(timeout: pause)
            }
        }
    }

    /// Closes the database. Call after `run()` has returned.
    public func close() async {
        guard !closed else { return }
        closed = true
        wakeup.signal()
        await store.close()
    }

    private var sendableEndpointIDs: [String] {
        endpoints.values.filter { !$0.disabled && !goneEndpoints.contains($0.id) }.map(\.id).sorted()
    }

    private func claimDueJobs() async throws -> [Job] {
        let free = configuration.maxConcurrentDeliveries - inFlight.count
        guard free > 0 else { return [] }
        let claimedAt = now()
        let due = try await store.due(now: claimedAt, endpoints: sendableEndpointIDs, excluding: inFlight, limit: free)
        var jobs: [Job] = []
        for var delivery in due where !inFlight.contains(delivery.id) {
            // Configuration may have changed while the query ran.
            guard let endpoint = endpoints[delivery.endpointID], !endpoint.disabled,
                  !goneEndpoints.contains(endpoint.id)
            else { continue }
            guard case .send(let attempt) = delivery.state.beginAttempt(now: claimedAt) else { continue }
            inFlight.insert(delivery.id)
            jobs.append(Job(delivery: delivery, endpoint: endpoint, attempt: attempt))
        }
        return jobs
    }

    private func timeUntilNextDue() async throws -> Duration {
        guard inFlight.count < configuration.maxConcurrentDeliveries else {
            return configuration.idleWait  // a finishing attempt wakes the loop
        }
        guard let due = try await store.nextDue(endpoints: sendableEndpointIDs, excluding: inFlight) else {
            return configuration.idleWait
        }
        let wait = Duration.microseconds(max(0, due.microseconds - now().microseconds))
        return min(wait, configuration.idleWait)
    }

    /// One attempt, off the actor: only the bookkeeping before and after touches its state.
    private nonisolated func perform(_ job: Job) async {
        let startedAt = now()
        let clock = ContinuousClock.now
        let outcome = await send(job)
        let duration = ContinuousClock.now - clock
        if Task.isCancelled, !outcome.isResponse {
            // Shutting down cut the attempt short: no verdict on the receiver, so no record;
            // the delivery stays pending and goes out after the next start.
            await abandon(job)
            return
        }
        await finish(job, outcome: outcome, startedAt: startedAt, duration: duration)
        wakeup.signal()
    }

    private func abandon(_ job: Job) {
        inFlight.remove(job.delivery.id)
    }

    private func finish(_ job: Job, outcome: WebhookAttemptOutcome, startedAt: Timestamp, duration: Duration) async {
        var state = job.delivery.state
        let finishedAt = now()
        let action = state.attemptFinished(outcome, now: finishedAt, schedule: configuration.retry, using: &rng)
        // Another delivery's 410 may have disabled the endpoint while this one was in flight.
        if goneEndpoints.contains(job.endpoint.id) { _ = state.endpointDisabled() }
        let attempt: WebhookAttemptRecord
        switch outcome {
        case .response(let code):
            attempt = WebhookAttemptRecord(number: job.attempt, startedAt: startedAt, duration: duration, statusCode: code, error: nil)
        default:
            attempt = WebhookAttemptRecord(number: job.attempt, startedAt: startedAt, duration: duration, statusCode: nil, error: outcome.description)
        }
        var metadata: Logger.Metadata = [
            "plexus.webhook.endpoint": .string(job.endpoint.id),
            "plexus.webhook.delivery": .stringConvertible(job.delivery.id),
            "plexus.webhook.event": .string(job.delivery.eventID),
            "plexus.webhook.attempt": .stringConvertible(job.attempt),
            "plexus.webhook.outcome": .string(outcome.description),
        ]
        do {
            try await store.record(attempt, deliveryID: job.delivery.id, state: state)
            switch action {
            case .disableEndpoint:
                // On disk first, then in memory: whoever sees the endpoint disabled (a reader, a
                // shutdown that follows) can rely on it surviving a restart.
                let store = store, endpointID = job.endpoint.id, reason = "HTTP 410 Gone on delivery \(job.delivery.id)"
                try await Task { try await store.disableEndpoint(endpointID, at: finishedAt, reason: reason) }.value
                goneEndpoints.insert(job.endpoint.id)
                logger.warning("webhook endpoint answered 410 Gone; disabled it and stopped its pending deliveries", metadata: metadata)
            case .markFailed(let reason):
                metadata["plexus.webhook.reason"] = .string(reason)
                logger.warning("webhook delivery failed for good", metadata: metadata)
            case .scheduleRetry(let at):
                metadata["plexus.webhook.retry_at"] = .string(at.rfc3339)
                logger.info("webhook attempt failed; retrying later", metadata: metadata)
            case .markSucceeded:
                logger.debug("webhook delivered", metadata: metadata)
            case .send, .markGone, .none:
                break
            }
        } catch {
            metadata["plexus.error"] = .string("\(error)")
            logger.error("could not record a webhook attempt; the delivery will be sent again", metadata: metadata)
        }
        // Only now: until the row says what happened, the run loop must not claim it again.
        inFlight.remove(job.delivery.id)
    }

    private static func isToken(_ text: String, maxLength: Int) -> Bool {
        !text.isEmpty && text.utf8.count <= maxLength && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

extension WebhookAttemptOutcome {
    fileprivate var isResponse: Bool {
        if case .response = self { return true }
        return false
    }
}
