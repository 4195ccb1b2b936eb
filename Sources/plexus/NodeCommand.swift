import ArgumentParser
import PlexusNode

/// `plexus node run --config node.yaml`.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a node from a configuration file.",
        subcommands: [Run.self]
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a node from node.yaml (see docs/configuration.md)."
        )

        @Option(name: .long, help: "Path to the node's YAML configuration.")
        var config: String

        @Option(name: .long, help: "Override http.port from the file.")
        var httpPort: Int?

        @Option(name: .long, help: "Once the node listens, write {pid, http_url, mesh_address} as JSON to this file (used by `plexus topology up`).")
        var readyFile: String?

        func run() async throws {
            var configuration: NodeConfiguration
            do {
                configuration = try NodeConfiguration.load(file: config)
            } catch {
                throw CLIError("\(config): \(error)")
            }
            if let httpPort { configuration.http.port = httpPort }
            try await NodeRunner.run(configuration, readyFile: readyFile)
        }
    }
}
