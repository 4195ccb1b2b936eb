import Foundation
import NIOSSL
import PostgresNIO

/// Where and how the node logs to PostgreSQL (`store: {kind: postgres, ...}` in node.yaml,
/// `plexus dev --postgres URL`). See docs/postgres.md.
public struct PostgresStoreConfiguration: Sendable, Hashable {
    /// How the log table is split by time.
    public enum Partitioning: String, Sendable, Hashable, CaseIterable {
        /// TimescaleDB when the server offers the extension, native day partitions otherwise.
        case auto
        /// A hypertable; the store refuses to start when the extension is not available.
        case timescale
        /// Declarative range partitions by day, created ahead and dropped by the retention.
        case native
    }

    /// `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    public var url: String
    /// The schema holding the node's tables. One node writes one schema (an advisory lock makes
    /// sure of it); several nodes may share a database with a schema each.
    public var schema: String
    public var partitioning: Partitioning
    /// Days a message is kept after its `origin_ts`; nil keeps everything.
    public var retentionDays: Int?
    /// Day partitions created ahead of today (native partitioning).
    public var partitionsAhead: Int
    /// At most this many rows per group-commit transaction.
    public var maxBatchRows: Int
    /// The local SQLite journal that takes appends while PostgreSQL is unreachable; nil means no
    /// spool: appends then fail (503) until the database is back.
    public var spoolPath: String?
    /// Messages the spool may hold; beyond it new appends fail with 503 and Retry-After.
    public var spoolLimit: Int
    /// Connections for reads (the writer has its own).
    public var readConnections: Int
    /// Pause between reconnect attempts while the database is unreachable.
    public var reconnectInterval: Duration

    public init(
        url: String, schema: String = "public", partitioning: Partitioning = .auto, retentionDays: Int? = nil,
        partitionsAhead: Int = 3, maxBatchRows: Int = 10_000, spoolPath: String? = nil, spoolLimit: Int = 1_000_000,
        readConnections: Int = 2, reconnectInterval: Duration = .seconds(1)
    ) {
        self.url = url
        self.schema = schema
        self.partitioning = partitioning
        self.retentionDays = retentionDays
        self.partitionsAhead = partitionsAhead
        self.maxBatchRows = maxBatchRows
        self.spoolPath = spoolPath
        self.spoolLimit = spoolLimit
        self.readConnections = readConnections
        self.reconnectInterval = reconnectInterval
    }

    /// Checks every setting, naming the first bad one.
    public func validate() throws(PostgresConfigurationError) {
        _ = try connectionConfiguration()
        guard Self.isIdentifier(schema) else {
            throw PostgresConfigurationError("schema \"\(schema)\" must be a lowercase SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)")
        }
        if let retentionDays, retentionDays < 1 { throw PostgresConfigurationError("retention_days must be at least 1, got \(retentionDays)") }
        guard (0...366).contains(partitionsAhead) else { throw PostgresConfigurationError("partitions_ahead must be 0...366, got \(partitionsAhead)") }
        guard (1...100_000).contains(maxBatchRows) else { throw PostgresConfigurationError("max_batch_rows must be 1...100000, got \(maxBatchRows)") }
        guard spoolLimit >= 1 else { throw PostgresConfigurationError("spool_limit must be at least 1, got \(spoolLimit)") }
        guard (1...64).contains(readConnections) else { throw PostgresConfigurationError("read_connections must be 1...64, got \(readConnections)") }
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63, first == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else {
            return false
        }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// The URL as postgres-nio's connection settings.
    public func connectionConfiguration() throws(PostgresConfigurationError) -> PostgresConnection.Configuration {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
              scheme == "postgres" || scheme == "postgresql"
        else {
            throw PostgresConfigurationError("url \"\(redactedURL)\" is not a postgres://user:password@host:port/database URL")
        }
        guard let host = components.host, !host.isEmpty else { throw PostgresConfigurationError("url \"\(redactedURL)\" names no host") }
        guard let user = components.user, !user.isEmpty else { throw PostgresConfigurationError("url \"\(redactedURL)\" names no user") }
        let port = components.port ?? 5432
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        var tls = PostgresConnection.Configuration.TLS.disable
        for item in components.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("sslmode", "disable"): tls = .disable
            case ("sslmode", "prefer"), ("sslmode", "require"):
                let context: NIOSSLContext
                do { context = try NIOSSLContext(configuration: .makeClientConfiguration()) } catch {
                    throw PostgresConfigurationError("cannot set up TLS for \(redactedURL): \(error)")
                }
                tls = item.value == "prefer" ? .prefer(context) : .require(context)
            case ("sslmode", let other):
                throw PostgresConfigurationError("url parameter sslmode=\(other) is not one of disable, prefer, require")
            default:
                throw PostgresConfigurationError("url parameter \"\(item.name)\" is not known (known: sslmode)")
            }
        }
        return PostgresConnection.Configuration(
            host: host, port: port, username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.isEmpty ? nil : database, tls: tls
        )
    }

    /// The URL with its password hidden, for logs and errors.
    public var redactedURL: String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "postgres://***"
    }
}

public struct PostgresConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
