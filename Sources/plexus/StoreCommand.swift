import ArgumentParser
import Foundation
import Logging
import PlexusNode
import PlexusPostgres
import PlexusStore

/// `plexus store`: operations on a node's message log.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Operate on the message log.",
        discussion: """
            plexus store migrate --config node.yaml
            plexus store migrate --postgres postgres://plexus@db:5432/audit --schema plexus
            """,
        subcommands: [Migrate.self]
    )

    /// Applies pending schema migrations to a PostgreSQL log and reports the version and layout.
    /// A node does the same at start; this lets an operator run it ahead (with a role that may
    /// create tables, while nodes run with one that may only write rows).
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Create or upgrade the PostgreSQL log's tables (docs/postgres.md)."
        )

        @Option(name: .long, help: "A node.yaml whose store is PostgreSQL.")
        var config: String?

        @Option(name: .long, help: "The database URL (postgres://user:pass@host:5432/db), instead of --config.")
        var postgres: String?

        @Option(name: .long, help: "The schema (with --postgres).")
        var schema: String = "public"

        @Option(name: .long, help: "auto, timescale or native (with --postgres; used when the schema is new).")
        var partitioning: String = "auto"

        func run() async throws {
            var store: PostgresStoreConfiguration
            if let config {
                let node: NodeConfiguration
                do { node = try NodeConfiguration.load(file: config) } catch { throw CLIError(error.description) }
                guard node.store.kind == .postgres, let configured = node.store.postgres else {
                    throw CLIError("\(config) has no PostgreSQL store (store.kind: postgres with store.url)")
                }
                store = configured
            } else if let postgres {
                guard let layout = PostgresStoreConfiguration.Partitioning(rawValue: partitioning) else {
                    throw CLIError("--partitioning must be auto, timescale or native, got \(partitioning)")
                }
                store = PostgresStoreConfiguration(url: postgres, schema: schema, partitioning: layout)
            } else {
                throw CLIError("give --config node.yaml or --postgres URL")
            }
            var logger = Logger(label: "plexus.store")
            logger.logLevel = .warning
            do {
                let (layout, version) = try await PostgresMessageStore.migrate(configuration: store, logger: logger)
                print("schema \(store.schema) at \(store.redactedURL): version \(version), \(layout) partitioning")
            } catch let error as StoreError {
                throw CLIError(error.description)
            }
        }
    }
}
