import Foundation
import Logging
import PlexusNode

/// Starts a node in the foreground, with logging set up, until SIGINT/SIGTERM.
enum NodeRunner {
    static func run(_ configuration: NodeConfiguration, readyFile: String? = nil, banner: (@Sendable (Int) -> Void)? = nil) async throws {
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
                let mesh = await node.waitUntilMeshListening()
                if let mesh { logger.info("mesh listening", metadata: ["plexus.mesh": "\(mesh)"]) }
                if let readyFile { writeReadyFile(readyFile, http: "http://\(configuration.http.host):\(port)", mesh: mesh) }
            }
        }
        try await node.run()
    }
}

/// Writes the ready file atomically (a reader never sees half of it).
private func writeReadyFile(_ path: String, http: String, mesh: String?) {
    let object: [String: Any] = ["pid": Int(getpid()), "http_url": http, "mesh_address": mesh ?? ""]
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
    try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
}

/// An error the CLI prints as is, without a stack of type names.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
