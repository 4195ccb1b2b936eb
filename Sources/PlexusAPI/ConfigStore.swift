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
    /// Largest item, serialised: it travels as one registry entry, which gossip carries whole
    /// (16 KiB per round) and anti-entropy in batches of 256 within a 4 MiB frame.
    public static let maxItemBytes = 12 << 10
    /// Most live items per section, so no client can grow every node's state without bound.
    public static let maxItemsPerSection = 10_000

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
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        if let last = data.last, last != UInt8(ascii: "\n") {
            // A crash mid-append left a torn line: cut it, so the next append starts a new line
            // instead of being glued to the fragment (and lost with it at the next start).
            let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
            logger.warning("cutting a torn last line from the config history", metadata: ["plexus.file": "\(path)", "plexus.bytes": "\(data.count - keep)"])
            guard truncate(path, off_t(keep)) == 0 else { throw PlexusError(.unavailable, "cannot repair the config history at \(path)") }
            data = data.prefix(keep)
        }
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
            if item(key) == nil, list(key.section).count >= Self.maxItemsPerSection {
                throw PlexusError(.tooLarge, "\(key.section.rawValue) already holds \(Self.maxItemsPerSection) items; delete some first")
            }
            let size = ConfigItem(key: key, value: value, version: 1, at: now, node: node, author: author).json.serialized().count
            if size > Self.maxItemBytes {
                throw PlexusError(.tooLarge, "the item is \(size) bytes; a configuration item may be at most \(Self.maxItemBytes)")
            }
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

    /// Merges under the state lock, compiles outside it (ingest reads the constraints on every
    /// message), then swaps the compiled set in. Callers hold the file lock, so there is one
    /// merge at a time and the swap cannot go backwards.
    private func merge(_ items: [ConfigItem]) -> ConfigState? {
        let merged = state.withLock { state -> ConfigState? in
            var changed = false
            for item in items where state.config.merge(item) {
                Self.record(item, in: &state)
                changed = true
            }
            return changed ? state.config : nil
        }
        guard let merged else { return nil }
        if items.contains(where: { $0.key.section.constrains }) {
            let compiled = ConstraintSet(merged)
            for (key, problem) in compiled.problems {
                logger.warning("configuration item left out: it does not compile here", metadata: ["plexus.config": "\(key)", "plexus.error": "\(problem)"])
            }
            state.withLock { $0.constraints = compiled }
        }
        return merged
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
            // Owner-only: webhook secrets are in here.
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            let start = lseek(fd, 0, SEEK_END)
            var done = 0
            let wrote = bytes.withUnsafeBytes { buffer -> Bool in
                while done < buffer.count {
                    let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else { return false }
                    done += n
                }
                return true
            }
            if wrote, fsync(fd) == 0 { return true }
            // Leave no partial line behind for the next append to be glued to.
            if start >= 0 { _ = ftruncate(fd, start) }
            return false
        }()
        if !ok {
            logger.error("could not append to the config history", metadata: ["plexus.file": "\(path)", "plexus.errno": "\(errno)"])
            throw PlexusError(.unavailable, "the configuration could not be stored durably on this node; nothing was changed")
        }
    }
}
