import Foundation
import Logging
import PlexusAPI
import PlexusCore
import PlexusSessions
import PlexusStore
import PlexusWebhooks
import ServiceLifecycle
import Synchronization

extension PlexusNode {
    /// Opens the session store and builds the service and its channel sender.
    static func sessions(
        _ configuration: NodeConfiguration, runtime: NodeRuntime, config: ConfigStore, addressGuard: AddressGuard, webhooks: WebhookService,
        baseURL: SessionBaseURL, node: String, logger: Logger
    ) async throws -> (service: SessionService, sender: ChannelDispatcher) {
        let key = try SessionKeyFile.load(configuration.dataDir + "/session-key")
        // A mesh prompt the log refused (dead-lettered) is not delivered: the session retries.
        let publish: @Sendable (Envelope) async throws -> Void = { envelope in
            if let refused = try await runtime.log([envelope], via: .sessions).first?.refused {
                throw PlexusError(.internalError, "the log refused message \(envelope.messageID): \(refused)")
            }
        }
        // Results in one append; a refused one stays unpublished and says why in the node's log.
        let publishResults: @Sendable ([Envelope]) async throws -> [String?] = { envelopes in
            try await runtime.log(envelopes, via: .sessions).map(\.refused)
        }
        let sender = ChannelDispatcher(
            poster: try GuardedPoster(addressGuard: addressGuard, userAgent: "Plexus-Sessions/1"),
            smtp: SMTPClient(group: .singletonMultiThreadedEventLoopGroup, heloName: ChannelDispatcher.mailDomain(node)), clock: WallClock.now,
            publish: publish, node: node)
        let store = try await Task { try await SessionStore.open(path: configuration.dataDir + "/sessions.sqlite", logger: logger) }.value
        let environment = SessionService.Environment(
            clock: WallClock.now,
            channel: { id in
                guard let key = try? ConfigKey(.channels, id) else { return nil }
                return config.item(key)?.value.flatMap { try? ChannelRecord(id: id, $0) }
            },
            publish: publishResults, notify: { webhooks.eventQueue.yield($0) }, baseURL: { baseURL.current }, sender: sender,
            retry: configuration.sessionRetry, node: node)
        return (SessionService(store: store, key: key, environment: environment, logger: logger), sender)
    }
}

/// The base of the links in prompts: the configured public URL, or this node's address once the
/// server listens.
final class SessionBaseURL: Sendable {
    private let value: Mutex<String>
    private let configured: Bool
    private let host: String

    init(configured url: String?, host: String) {
        // A wildcard listen address is not somewhere a person can go; loopback at least works here.
        self.host = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        self.configured = url != nil
        self.value = Mutex(url ?? "http://\(self.host)")
    }

    var current: String { value.withLock { $0 } }

    func listening(on port: Int) {
        guard !configured else { return }
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        value.withLock { $0 = "http://\(host):\(port)" }
    }
}

/// The node's session key (`<data_dir>/session-key`, 32 random bytes, 0600): signs the tokens in
/// prompt links. Kept across restarts so links sent before a restart still work.
enum SessionKeyFile {
    static func load(_ path: String) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path) {
            // Never replaced silently: a new key would turn every link already sent into a 403.
            guard data.count == 32 else {
                throw ConfigurationError(key: "data_dir", line: nil, message: "\(path) is not a 32-byte session key; restore it or remove it to start over")
            }
            return Array(data)
        }
        var rng = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        guard FileManager.default.createFile(atPath: path, contents: Data(key), attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError(key: "data_dir", line: nil, message: "cannot write the session key \(path)")
        }
        return key
    }
}

/// Runs the sessions' schedule for the node's lifetime; closes the store at the end.
struct SessionRunService: Service {
    let sessions: SessionService

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await sessions.run() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        sessions.watchers.finishAll()
        let store = sessions.store
        // Its own task: a close cut short by cancellation leaves the database open, and sqlite-nio
        // asserts on that.
        await Task { await store.close() }.value
    }
}
