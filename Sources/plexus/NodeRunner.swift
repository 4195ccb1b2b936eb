import Foundation
import Logging
import PlexusNode

/// Starts a node in the foreground, with logging set up, until SIGINT/SIGTERM.
enum NodeRunner {
    static func run(_ configuration: NodeConfiguration, banner: (@Sendable (Int) -> Void)? = nil) async throws {
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "plexus")
        logger[metadataKey: "plexus.node"] = .string(configuration.name)
        let node: PlexusNode
        do {
            node = try await PlexusNode(configuration: configuration, logger: logger)
        } catch let error as ConfigurationError {
            throw CLIError(error.description)
        }
        Task {
            if let port = await node.waitUntilListening() {
                logger.info("listening", metadata: ["plexus.http": "http://\(configuration.http.host):\(port)"])
                banner?(port)
            }
        }
        try await node.run()
    }
}

/// An error the CLI prints as is, without a stack of type names.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
