import Foundation
import Logging
import PlexusCore
import Synchronization

/// The mesh-wide configuration store as one node keeps it: the pure `ConfigState` (last writer
/// wins per key), its compiled `ConstraintSet`, a version history, and a local history file.
///
/// Spreading: every node republishes every version it takes as a registry entry of its own
/// (`config` kind, id `<section>/<name>`), so the configuration survives the node that wrote it
/// leaving the mesh, and a restarted mesh relearns it from any node's file. A version equal to the
/// one held is not republished, so adoption stops after one round.
///
/// Persistence: each version taken is appended to `config-history.jsonl` and fsynced before the
/// write is acknowledged. At start the file is replayed; a torn last line (a crash mid-append) is
/// skipped with a warning.
public final class ConfigStore: Sendable {
    struct State {
        var config = ConfigState()
        var constraints = ConstraintSet.empty
        var history: [ConfigKey: [ConfigItem]] = [:]
    }

    /// Versions kept per key for `GET .../history` (the file keeps all).
    public static let historyPerKey = 100

    public let node: String
    private let path: String?
    private let logger: Logger
    private let state = Mutex(State())
    private let fileLock = Mutex(())
    /// Spreads a version taken here to the mesh (nil without a mesh).
    private let publisher = Mutex<(@Sendable (ConfigItem) async -> Void)?>(nil)
    /// Checks and completes a value of a section before it is saved (webhooks: the SSRF guard
    /// with this node's allowlist, a generated or rotated secret), given the live item if any.
    private let preparers = Mutex<[ConfigSection: @Sendable (ConfigKey, JSONValue, ConfigItem?) throws(PlexusError) -> JSONValue]>([:])
    /// Told of every change (webhook endpoints follow the store this way).
    private let observers = Mutex<[@Sendable (ConfigState) -> Void]>([])

    public init(node: String, path: String?, logger: Logger) {
        self.node = node
        self.path = path
        self.logger = logger
    }

    /// Replays the history file.
    public func load() throws {
        guard let path, FileManager.default.fileExists(atPath: path) else { return }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var items: [ConfigItem] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            do {
                items.append(try ConfigItem(json: try JSONParser.parse(Array(line))))
            } catch {
                logger.warning("skipping an unreadable line of the config history", metadata: ["plexus.file": "\(path)", "plexus.line": "\(index + 1)"])
            }
        }
        state.withLock { state in
            for item in items {
                Self.record(item, in: &state)
                state.config.merge(item)
            }
            state.constraints = ConstraintSet(state.config)
        }
    }

    public func setPublisher(_ publish: @escaping @Sendable (ConfigItem) async -> Void) {
        publisher.withLock { $0 = publish }
    }

    public func setPreparer(_ section: ConfigSection, _ prepare: @escaping @Sendable (ConfigKey, JSONValue, ConfigItem?) throws(PlexusError) -> JSONValue) {
        preparers.withLock { $0[section] = prepare }
    }

    public func observe(_ observer: @escaping @Sendable (ConfigState) -> Void) {
        observers.withLock { $0.append(observer) }
        observer(config)
    }

    public var constraints: ConstraintSet { state.withLock { $0.constraints } }
    public var config: ConfigState { state.withLock { $0.config } }

    public func item(_ key: ConfigKey) -> ConfigItem? {
        state.withLock { $0.config.items[key] }.flatMap { $0.isDeleted ? nil : $0 }
    }

    public func list(_ section: ConfigSection) -> [ConfigItem] { state.withLock { $0.config.live(section) } }

    /// Every version of `key` this node saw, newest first.
    public func history(_ key: ConfigKey) -> [ConfigItem] {
        state.withLock { ($0.history[key] ?? []).reversed() }
    }

    /// Writes (or with nil, deletes) an item: validated, made durable here, applied, spread.
    @discardableResult
    public func put(_ key: ConfigKey, value: JSONValue?, author: String?, now: Timestamp) async throws(PlexusError) -> ConfigItem {
        var value = value
        if let given = value {
            try ConstraintSet.validate(key, given)
            if let prepare = preparers.withLock({ $0[key.section] }) { value = try prepare(key, given, item(key)) }
        }
        let item = try take { config in [config.next(key, value: value, now: now, node: node, author: author)] }[0]
        if let publish = publisher.withLock({ $0 }) { await publish(item) }
        return item
    }

    /// Versions learnt from other nodes; returns those that took effect here (for republishing).
    public func merge(remote items: [ConfigItem]) -> [ConfigItem] {
        do {
            return try take { config in
                // Many owners republish the same version: keep the newest per key, once.
                var best: [ConfigKey: ConfigItem] = [:]
                for item in items where best[item.key].map({ item.supersedes($0) }) ?? true { best[item.key] = item }
                return best.values.filter { item in config.items[item.key].map { item.supersedes($0) } ?? true }
                    .sorted { $0.key < $1.key }
            }
        } catch {
            logger.error("could not record configuration from the mesh", metadata: ["plexus.error": "\(error)"])
            return []
        }
    }

    /// Persists the versions `make` picks, then merges and recompiles, then tells observers. One
    /// writer at a time (the file lock), so two local writes never pick the same version.
    private func take(_ make: (ConfigState) -> [ConfigItem]) throws(PlexusError) -> [ConfigItem] {
        let (items, changed) = try fileLock.withLock { _ throws(PlexusError) -> ([ConfigItem], ConfigState?) in
            let items = make(config)
            guard !items.isEmpty else { return ([], nil) }
            try append(items)
            return (items, merge(items))
        }
        if let changed {
            for observer in observers.withLock({ $0 }) { observer(changed) }
        }
        return items
    }

    private func merge(_ items: [ConfigItem]) -> ConfigState? {
        state.withLock { state -> ConfigState? in
            var changed = false
            for item in items where state.config.merge(item) {
                Self.record(item, in: &state)
                changed = true
            }
            guard changed else { return nil }
            if items.contains(where: { $0.key.section.constrains }) { state.constraints = ConstraintSet(state.config) }
            for (key, problem) in state.constraints.problems {
                logger.warning("configuration item left out: it does not compile here", metadata: ["plexus.config": "\(key)", "plexus.error": "\(problem)"])
            }
            return state.config
        }
    }

    private static func record(_ item: ConfigItem, in state: inout State) {
        var versions = state.history[item.key] ?? []
        guard !versions.contains(item) else { return }
        versions.append(item)
        versions.sort { $1.supersedes($0) }
        if versions.count > historyPerKey { versions.removeFirst(versions.count - historyPerKey) }
        state.history[item.key] = versions
    }

    /// Appends and fsyncs; called under the file lock.
    private func append(_ items: [ConfigItem]) throws(PlexusError) {
        guard let path else { return }
        var bytes: [UInt8] = []
        for item in items {
            bytes += item.json.serialized()
            bytes.append(UInt8(ascii: "\n"))
        }
        let ok = { () -> Bool in
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            return written == bytes.count && fsync(fd) == 0
        }()
        if !ok {
            logger.error("could not append to the config history", metadata: ["plexus.file": "\(path)", "plexus.errno": "\(errno)"])
            throw PlexusError(.unavailable, "the configuration could not be stored durably on this node; nothing was changed")
        }
    }
}
