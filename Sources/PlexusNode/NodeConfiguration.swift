import PlexusCore
import PlexusStore

/// Everything a node needs to start, with defaults that make `plexus dev` work with no file.
/// Validated once at start (`validate()`), with errors naming the bad key.
public struct NodeConfiguration: Sendable, Hashable {
    public struct HTTP: Sendable, Hashable {
        public var host = "127.0.0.1"
        /// 0 picks a free port (tests, `--http-port 0`).
        public var port = 7700
        public init() {}
    }

    public struct Store: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable, CaseIterable { case sqlite }
        public var kind: Kind = .sqlite
        /// `full` fsyncs every group commit (survives power loss); `normal` survives a process
        /// crash but may lose the last commits on power loss.
        public var synchronous: SQLiteStoreOptions.Synchronous = .full
        public init() {}
    }

    public struct Stream: Sendable, Hashable {
        /// Messages a live-stream client may fall behind before it is closed as too slow.
        public var clientQueue = 4_096
        public init() {}
    }

    /// This node's name: stamped into `hops`, shown in logs and health.
    public var name = "dev"
    public var http = HTTP()
    /// Where the log and other state live.
    public var dataDir = "./.plexus"
    public var limits = IngestLimits.default
    public var store = Store()
    public var stream = Stream()
    public var logLevel = "info"

    public init() {}

    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    public func validate() throws(ConfigurationError) {
        func fail(_ key: String, _ message: String) -> ConfigurationError { ConfigurationError(key: key, line: nil, message: message) }
        if name.isEmpty || name.utf8.contains(where: { $0 < 0x21 }) { throw fail("node.name", "must be non-empty, without spaces") }
        if http.host.isEmpty { throw fail("http.host", "must not be empty") }
        if !(0...65_535).contains(http.port) { throw fail("http.port", "must be 0...65535, got \(http.port)") }
        if dataDir.isEmpty { throw fail("data_dir", "must not be empty") }
        if limits.maxBodyBytes < 1_024 { throw fail("limits.max_body_bytes", "must be at least 1024") }
        if !(2...512).contains(limits.maxDepth) { throw fail("limits.max_depth", "must be 2...512") }
        if limits.maxBatch < 1 { throw fail("limits.max_batch", "must be at least 1") }
        if stream.clientQueue < 1 { throw fail("stream.client_queue", "must be at least 1") }
        if !Self.logLevels.contains(logLevel) { throw fail("log_level", "must be one of \(Self.logLevels.joined(separator: ", "))") }
    }

    public var databasePath: String { dataDir + "/log.sqlite" }
}
