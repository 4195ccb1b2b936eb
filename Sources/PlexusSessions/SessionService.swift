import Crypto
import Foundation
import Logging
import PlexusCore
import PlexusWebhooks
import Synchronization

/// The human-in-the-loop sessions of one node: the shell around `SessionMachine`.
///
/// Every change runs the same way: load the session, let the machine decide, commit the result
/// to `SessionStore`, then carry out the effects (deliver a prompt, publish a result, fire a
/// webhook) and wake whoever watches the session. Changes run one at a time (`gate`), so two
/// answers to one session cannot both see it open. The run loop (`run()`) works the durable
/// schedule: expiries, delivery retries and results not yet in the log, also after a restart.
public final class SessionService: Sendable {
    /// What the service needs from the node, as closures and values: the clock is an input.
    public struct Environment: Sendable {
        public var clock: @Sendable () -> Timestamp
        /// A configured channel by id (nil for an unknown one); `inbox` is built in.
        public var channel: @Sendable (String) -> ChannelRecord?
        /// Logs (and routes) result messages in one append; answers, per message, why the log
        /// refused it (nil when it took it).
        public var publish: @Sendable ([Envelope]) async throws -> [String?]
        /// A webhook event (`session.validated`...), queued without waiting.
        public var notify: @Sendable (WebhookEvent) -> Void
        /// The node's public base URL for response and inbox links, e.g. `https://node-a.example`.
        public var baseURL: @Sendable () -> String
        public var sender: any ChannelSender
        public var retry: WebhookRetrySchedule
        /// The node's id, recorded as the result message's origin.
        public var node: String

        public init(
            clock: @escaping @Sendable () -> Timestamp, channel: @escaping @Sendable (String) -> ChannelRecord?,
            publish: @escaping @Sendable ([Envelope]) async throws -> [String?], notify: @escaping @Sendable (WebhookEvent) -> Void,
            baseURL: @escaping @Sendable () -> String, sender: any ChannelSender, retry: WebhookRetrySchedule = WebhookRetrySchedule(),
            node: String
        ) {
            self.clock = clock
            self.channel = channel
            self.publish = publish
            self.notify = notify
            self.baseURL = baseURL
            self.sender = sender
            self.retry = retry
            self.node = node
        }
    }

    public let store: SessionStore
    public let watchers = SessionWatchers()
    let environment: Environment
    let token: SessionToken
    let logger: Logger
    let gate = WebhookSerialGate()
    let wakeup = WebhookWakeup()
    private let rng: Mutex<SplitMix64>
    /// Sessions whose prompt is being delivered right now (bounded by the run loop).
    private let inFlight = Mutex<Set<String>>([])

    var inFlightCount: Int { inFlight.withLock { $0.count } }
    func startedDelivery(_ id: String) { _ = inFlight.withLock { $0.insert(id) } }
    func finishedDelivery(_ id: String) { _ = inFlight.withLock { $0.remove(id) } }

    public init(store: SessionStore, key: [UInt8], environment: Environment, seed: UInt64 = .random(in: .min ... .max), logger: Logger) {
        self.store = store
        self.token = SessionToken(key: key)
        self.environment = environment
        self.rng = Mutex(SplitMix64(seed: seed))
        self.logger = logger
    }

    // MARK: Requests

    /// Creates a session (201) or, when `session_id` names one already created with the same
    /// question, returns it (an agent's retry of the same POST; `created` false).
    public func create(_ body: JSONValue) async throws(PlexusError) -> (session: HumanSession, created: Bool) {
        let now = environment.clock()
        let draft = try SessionDraft(body, now: now)
        guard draft.channelID == ChannelRecord.inbox.id || environment.channel(draft.channelID) != nil else {
            throw PlexusError(.invalidField, "reception_channel_id \"\(draft.channelID)\" is not a configured channel", pointer: "/reception_channel_id")
        }
        let id = draft.sessionID ?? UUID().uuidString.lowercased()
        let transition = SessionMachine.create(draft, id: id, now: now)
        let inserted = try await io { try await self.store.insert(transition.session) }
        guard inserted else {
            guard let existing = try await io({ try await self.store.load(id) }), draft.matches(existing) else {
                throw PlexusError(.conflict, "session_id \(id) is taken by a different session", pointer: "/session_id")
            }
            return (existing, false)
        }
        await carryOut(transition)
        return (transition.session, true)
    }

    public func session(_ id: String) async throws(PlexusError) -> HumanSession {
        guard let session = try await io({ try await self.store.load(id) }) else {
            throw PlexusError(.notFound, "no session \(id) on this node")
        }
        return session
    }

    /// The session once its version is above `version`, or as it is when `timeout` ends.
    public func wait(_ id: String, after version: Int64, timeout: Duration) async throws(PlexusError) -> HumanSession {
        let changes = watchers.watch(id)
        let current = try await session(id)
        guard current.version <= version, !current.status.isFinal else { return current }
        let newer: HumanSession? = await withTaskGroup(of: HumanSession?.self) { group in
            group.addTask {
                for await session in changes where session.version > version { return session }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let newer { return newer }
        return try await session(id)
    }

    public func list(status: SessionStatus?, subject: String?, limit: Int) async throws(PlexusError) -> [HumanSession] {
        try await io { try await self.store.list(status: status, subject: subject, limit: limit) }
    }

    /// The original `POST /sessions`: a filter over every field of the session document.
    /// Scans every session in pages of 200, newest first, up to `limit` matches.
    public func query(_ filter: DocumentFilter, limit: Int = SessionStore.maxList) async throws(PlexusError) -> [HumanSession] {
        var matches: [HumanSession] = []
        var cursor: (createdAt: Timestamp, id: String)?
        while matches.count < limit {
            let page = try await io { [cursor] in try await self.store.page(after: cursor, limit: 200) }
            matches += page.filter { session in session.json.objectValue.map(filter.matches) ?? false }
            guard page.count == 200, let last = page.last else { break }
            cursor = (last.createdAt, last.id)
        }
        return Array(matches.prefix(limit))
    }

    public func reply(_ id: String, data: JSONValue, approver: String?) async throws(PlexusError) -> HumanSession {
        try await apply(.reply(data, approver: approver), to: id)
    }

    public func decline(_ id: String, reason: String?, approver: String?) async throws(PlexusError) -> HumanSession {
        try await apply(.decline(reason: reason, approver: approver), to: id)
    }

    public func reject(_ id: String, reason: String?) async throws(PlexusError) -> HumanSession {
        try await apply(.reject(reason: reason), to: id)
    }

    /// The original `DELETE /session/<id>`: an open session is rejected first (watchers and
    /// webhooks hear it ended), then the record goes.
    public func delete(_ id: String) async throws(PlexusError) {
        let current = try await session(id)
        if !current.status.isFinal { _ = try? await reject(id, reason: "deleted") }
        try await locked { () async throws(PlexusError) -> Void in
            // A validated result not yet in the log would be lost with the record.
            let now = try await self.session(id)
            if now.status == .validated, !now.resultPublished {
                throw PlexusError(.conflict, "session \(id) was answered and its result is not published yet; retry in a moment")
            }
            _ = try await self.io { try await self.store.delete(id) }
        }
    }

    /// A channel's answer to a prompt. `token` is the one from the prompt's link: it must be the
    /// current round's, and is honoured once. Without one (a channel calling `/webhook-response`
    /// directly, as the original allowed), the body's digest is the replay key instead.
    public func callback(sessionID: String, token: String?, action: SessionEvent, key: String? = nil) async throws(PlexusError) -> HumanSession {
        try await locked { () async throws(PlexusError) -> HumanSession in
            let current = try await self.session(sessionID)
            let replayKey: String
            if let token {
                guard self.token.verify(token, sessionID: sessionID, round: current.round, createdAt: current.createdAt) else {
                    let earlier = (1..<max(1, current.round)).contains {
                        self.token.verify(token, sessionID: sessionID, round: $0, createdAt: current.createdAt)
                    }
                    throw earlier
                        ? PlexusError(.conflict, "this link belongs to an earlier prompt of session \(sessionID); the person was asked again (round \(current.round))")
                        : PlexusError(.forbidden, "the token does not belong to session \(sessionID)")
                }
                // A quorum round's link is shared by its approvers: each may use it once.
                replayKey = "token:" + token + (current.approvers.isEmpty ? "" : Self.approverSuffix(action))
            } else {
                replayKey = key ?? "body:\(sessionID):" + Self.digest(action)
            }
            if try await self.io({ try await self.store.callbackUsed(replayKey) }) {
                throw PlexusError(.conflict, "this callback was already taken for session \(sessionID); a replay changes nothing")
            }
            return try await self.transition(action, current: current, callback: replayKey)
        }
    }

    static func approverSuffix(_ event: SessionEvent) -> String {
        switch event {
        case .reply(_, let approver?), .decline(_, let approver?): ":" + approver
        default: ""
        }
    }

    /// The current round's token, for links.
    public func token(for session: HumanSession) -> String {
        token.token(sessionID: session.id, round: session.round, createdAt: session.createdAt)
    }

    // MARK: Transitions

    func apply(_ event: SessionEvent, to id: String) async throws(PlexusError) -> HumanSession {
        try await locked { () async throws(PlexusError) -> HumanSession in
            try await self.transition(event, current: try await self.session(id), callback: nil)
        }
    }

    /// `event` applied to `current`; call under `gate`.
    func apply(_ event: SessionEvent, current: HumanSession) async throws(PlexusError) -> HumanSession {
        try await transition(event, current: current, callback: nil)
    }

    func withRandom<T>(_ body: (inout SplitMix64) -> T) -> T {
        rng.withLock { body(&$0) }
    }

    /// Runs one event through the machine and commits it; call under `gate`. Throws the
    /// machine's refusal after committing whatever it changed (an expiry, a re-prompt).
    private func transition(_ event: SessionEvent, current: HumanSession, callback: String?) async throws(PlexusError) -> HumanSession {
        let now = environment.clock()
        let transition = rng.withLock { rng in SessionMachine.apply(event, to: current, now: now, rng: &rng) }
        if transition.changed || (callback != nil && transition.refusal == nil) {
            try await io { try await self.store.save(transition.session, callback: transition.refusal == nil ? callback : nil, now: now) }
            await carryOut(transition)
        }
        if let refusal = transition.refusal { throw refusal }
        return transition.session
    }

    /// Effects after a committed transition: wake watchers, fire webhooks, and start the work
    /// that the run loop would otherwise pick up on its next turn.
    func carryOut(_ transition: SessionTransition) async {
        watchers.offer(transition.session)
        // Any change may move the session's due time (an earlier expiry, a new round).
        wakeup.signal()
        for effect in transition.effects {
            switch effect {
            case .notify(let kind): notify(kind, transition.session)
            case .deliver, .publishResult: break
            }
        }
    }

    func notify(_ kind: String, _ session: HumanSession) {
        let now = environment.clock()
        let id = rng.withLock { rng in "evt_" + MessageID.v7(now: now, rng: &rng).description }
        environment.notify(WebhookEvent(id: id, kind: kind, topic: session.resultTopic, timestamp: now, payload: session.json))
    }

    /// Store errors become 503s: the details stay in the node's log.
    func io<T: Sendable>(_ body: @Sendable () async throws -> T) async throws(PlexusError) -> T {
        do {
            return try await body()
        } catch let error as PlexusError {
            throw error
        } catch {
            // A node stopping cancels the schedule's reads: not worth a warning.
            if !(error is CancellationError) { logger.warning("session store failed", metadata: ["plexus.error": "\(error)"]) }
            throw PlexusError(.unavailable, "the session store cannot take this right now; retry later")
        }
    }

    static func digest(_ event: SessionEvent) -> String {
        let text: String
        switch event {
        case .reply(let data, let approver): text = "reply|\(approver ?? "")|" + String(decoding: data.serialized(), as: UTF8.self)
        case .decline(let reason, let approver): text = "decline|\(approver ?? "")|\(reason ?? "")"
        default: text = "\(event)"
        }
        return SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// `gate.withLock` with the typed error kept.
    func locked<T: Sendable>(_ body: () async throws(PlexusError) -> T) async throws(PlexusError) -> T {
        do {
            return try await gate.withLock { try await body() }
        } catch let error as PlexusError {
            throw error
        } catch {
            throw PlexusError(.internalError, "\(error)")
        }
    }
}

extension SessionService {
    /// The original `PUT /session/<id>`: expiry, `dsl_execution_id` and the caller's own fields.
    public func update(_ id: String, _ body: JSONValue) async throws(PlexusError) -> HumanSession {
        try await locked { () async throws(PlexusError) -> HumanSession in
            let current = try await self.session(id)
            let transition = try SessionMachine.amend(current, with: body, now: self.environment.clock())
            guard transition.changed else { return current }
            try await self.io { try await self.store.save(transition.session, now: self.environment.clock()) }
            await self.carryOut(transition)
            return transition.session
        }
    }
}
