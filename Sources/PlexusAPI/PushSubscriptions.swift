import Foundation
import Logging
import NIOCore
import PlexusCore
import Synchronization

/// Sends one HTTP POST; the node implements it with AsyncHTTPClient. Returns the status code.
public protocol PushPoster: Sendable {
    func post(url: String, body: ByteBuffer) async throws -> Int
}

/// HTTP push subscriptions (`PUT /v1/subscriptions/{id}`): every message delivered on this
/// node that matches a subscription's topic pattern or is addressed to its subject is POSTed
/// to its URL as the envelope JSON, in order, retried with exponential backoff until the
/// receiver answers 2xx.
///
/// A topic subscription adds its pattern to the node's announced interest; a subject
/// subscription homes the subject here, like a session. Subscriptions are kept in a JSON file
/// in the data directory and survive restarts; the queue of pending pushes is in memory
/// (bounded per subscription), and every pushed message is also in the log.
public final class PushSubscriptions: Sendable {
    public struct Subscription: Sendable, Hashable {
        public var id: String
        public var url: String
        public var topic: TopicPattern?
        public var subject: String?

        public var json: JSONValue {
            ["id": .string(id), "url": .string(url), "topic": topic.map { .string($0.value) } ?? .null,
             "subject": subject.map { .string($0) } ?? .null]
        }

        func matches(_ envelope: Envelope) -> Bool {
            if let topic, topic.matches(envelope.topic) { return true }
            if let subject, envelope.destinationSubjectIDs.contains(subject) { return true }
            return false
        }

        /// Checks a `PUT` body.
        public static func parse(id: String, body: JSONValue) throws(PlexusError) -> Subscription {
            guard !id.isEmpty, id.utf8.count <= 200, !id.contains(where: { $0 == "/" || $0.isWhitespace }) else {
                throw PlexusError(.invalidField, "a subscription id must be 1–200 characters without spaces or slashes")
            }
            guard case .object(let object) = body else {
                throw PlexusError(.invalidField, "a subscription must be a JSON object {\"url\", \"topic\" | \"subject\"}")
            }
            for key in object.keys where !["url", "topic", "subject"].contains(key) {
                throw PlexusError(.invalidField, "unknown subscription field \"\(key)\" (fields: url, topic, subject)", pointer: "/\(key)")
            }
            guard let url = object["url"]?.stringValue, let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""),
                  parsed.host != nil else {
                throw PlexusError(.invalidField, "\"url\" must be an absolute http or https URL", pointer: "/url")
            }
            var subscription = Subscription(id: id, url: url)
            if let topic = object["topic"], !topic.isNull {
                guard let text = topic.stringValue else { throw PlexusError(.invalidField, "\"topic\" must be a string", pointer: "/topic") }
                do throws(PlexusError) { subscription.topic = try TopicPattern(text) } catch {
                    throw PlexusError(.invalidField, error.message, pointer: "/topic")
                }
            }
            if let subject = object["subject"], !subject.isNull {
                guard let text = subject.stringValue else { throw PlexusError(.invalidField, "\"subject\" must be a string", pointer: "/subject") }
                _ = try SubjectRecord.validate(id: text, body: [:])
                subscription.subject = text
            }
            guard subscription.topic != nil || subscription.subject != nil else {
                throw PlexusError(.invalidField, "a subscription needs a \"topic\" pattern or a \"subject\"")
            }
            return subscription
        }
    }

    public struct Stats: Sendable, Hashable {
        public var pushed = 0
        public var retries = 0
        public var dropped = 0
    }

    /// One subscription's queue and its worker.
    final class Pusher: @unchecked Sendable {
        // @unchecked: `queue` and `wakeup` are touched only under `PushSubscriptions.state`'s lock.
        let subscription: Subscription
        var queue: [ByteBuffer] = []
        var wakeup: CheckedContinuation<Void, Never>?
        var task: Task<Void, Never>?
        var cancelled = false
        init(_ subscription: Subscription) { self.subscription = subscription }
    }

    struct State {
        var pushers: [String: Pusher] = [:]
        var stats = Stats()
    }

    private let state = Mutex(State())
    let poster: any PushPoster
    let file: String?
    let logger: Logger
    public let queueCapacity: Int
    let retryMinimum: Duration
    let retryMaximum: Duration

    public init(poster: any PushPoster, file: String?, logger: Logger, queueCapacity: Int = 10_000,
                retryMinimum: Duration = .milliseconds(250), retryMaximum: Duration = .seconds(30)) {
        self.poster = poster
        self.file = file
        self.logger = logger
        self.queueCapacity = queueCapacity
        self.retryMinimum = retryMinimum
        self.retryMaximum = retryMaximum
    }

    /// Reads the subscriptions saved by an earlier run and starts their workers.
    public func load() throws {
        guard let file, let data = FileManager.default.contents(atPath: file) else { return }
        guard case .array(let list) = try JSONParser.parse(Array(data)) else { return }
        for item in list {
            guard let id = item["id"]?.stringValue, case .object(var body) = item else { continue }
            body["id"] = nil
            for key in body.keys where body[key] == .null { body[key] = nil }
            if let subscription = try? Subscription.parse(id: id, body: .object(body)) { put(subscription, save: false) }
        }
    }

    public var all: [Subscription] {
        state.withLock { $0.pushers.values.map(\.subscription) }.sorted { $0.id < $1.id }
    }

    public func subscription(_ id: String) -> Subscription? {
        state.withLock { $0.pushers[id]?.subscription }
    }

    /// Topic patterns of all subscriptions (part of the node's announced interest).
    public var topicPatterns: [String] { all.compactMap { $0.topic?.value } }

    /// Adds or replaces a subscription (a replaced one's pending pushes carry over).
    public func put(_ subscription: Subscription, save: Bool = true) {
        let pusher = Pusher(subscription)
        let old: Pusher? = state.withLock { state in
            let old = state.pushers[subscription.id]
            if let old { pusher.queue = old.queue; old.queue = []; old.cancelled = true }
            state.pushers[subscription.id] = pusher
            return old
        }
        old?.task?.cancel()
        old.map(wake)
        pusher.task = Task { await run(pusher) }
        if save { persist() }
    }

    @discardableResult
    public func remove(_ id: String) -> Bool {
        let old: Pusher? = state.withLock { state in
            let old = state.pushers.removeValue(forKey: id)
            old?.cancelled = true
            return old
        }
        guard let old else { return false }
        old.task?.cancel()
        wake(old)
        persist()
        return true
    }

    /// Queues `frames[i]` (the wire JSON of `envelopes[i]`) for every matching subscription.
    public func offer(_ envelopes: [Envelope], frames: [ByteBuffer]) {
        let wakeups: [CheckedContinuation<Void, Never>] = state.withLock { state in
            guard !state.pushers.isEmpty else { return [] }
            var wakeups: [CheckedContinuation<Void, Never>] = []
            for pusher in state.pushers.values {
                for (envelope, frame) in zip(envelopes, frames) where pusher.subscription.matches(envelope) {
                    if pusher.queue.count >= queueCapacity {
                        pusher.queue.removeFirst()
                        state.stats.dropped += 1
                    }
                    pusher.queue.append(frame)
                }
                if !pusher.queue.isEmpty, let w = pusher.wakeup {
                    pusher.wakeup = nil
                    wakeups.append(w)
                }
            }
            return wakeups
        }
        for w in wakeups { w.resume() }
    }

    public var stats: Stats { state.withLock { $0.stats } }

    /// Ends every worker (shutdown).
    public func stop() {
        let pushers = state.withLock { state in
            for p in state.pushers.values { p.cancelled = true }
            return Array(state.pushers.values)
        }
        for p in pushers {
            p.task?.cancel()
            wake(p)
        }
    }

    private func wake(_ pusher: Pusher) {
        let w: CheckedContinuation<Void, Never>? = state.withLock { _ in
            defer { pusher.wakeup = nil }
            return pusher.wakeup
        }
        w?.resume()
    }

    /// Pushes the queue head until it is taken, then the next, in order.
    private func run(_ pusher: Pusher) async {
        var delay = retryMinimum
        while !Task.isCancelled {
            // .some(nil): cancelled; nil: nothing queued.
            let next: ByteBuffer?? = state.withLock { _ in pusher.cancelled ? .some(nil) : pusher.queue.first.map { .some($0) } }
            guard let head = next else {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { _ -> Bool in
                        if pusher.cancelled || !pusher.queue.isEmpty { return true }
                        pusher.wakeup = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
                continue
            }
            guard let body = head else { return }
            let status = (try? await poster.post(url: pusher.subscription.url, body: body)) ?? 0
            if (200..<300).contains(status) {
                state.withLock { state in
                    if !pusher.queue.isEmpty { pusher.queue.removeFirst() }
                    state.stats.pushed += 1
                }
                delay = retryMinimum
            } else {
                state.withLock { $0.stats.retries += 1 }
                logger.debug("push to \(pusher.subscription.url) failed (status \(status)); retrying in \(delay)",
                             metadata: ["plexus.subscription": "\(pusher.subscription.id)"])
                try? await Task.sleep(for: delay.scaled(by: Double.random(in: 0.5...1.0)))
                delay = min(delay * 2, retryMaximum)
            }
        }
    }

    private func persist() {
        guard let file else { return }
        let list = JSONValue.array(all.map(\.json))
        do {
            try Data(list.serialized()).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            logger.error("could not save push subscriptions to \(file): \(error)")
        }
    }
}
