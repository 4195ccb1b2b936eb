import Foundation
import Logging
import PlexusIdentity
import PlexusNode

/// `plexus dev --nodes N`: N nodes of one development organisation in this process, each with
/// its own data directory and certificate, the first one the others' seed. For a mesh of
/// separate processes across organisations, use `plexus topology up`.
struct DevMesh {
    let base: NodeConfiguration
    let count: Int

    func run() async throws {
        guard (2...16).contains(count) else { throw CLIError("--nodes must be 1...16, got \(count)") }
        let ca = try DevMesh.loadOrCreateCA(directory: base.dataDir + "/identity/ca", organisation: "dev")
        var configs: [NodeConfiguration] = []
        for i in 1...count {
            var config = base
            config.name = "\(base.name)-\(i)"
            config.dataDir = base.dataDir + "/node-\(i)"
            if base.http.port != 0 { config.http.port = base.http.port + i - 1 }
            if base.mesh.port != 0 { config.mesh.port = base.mesh.port + i - 1 }
            let directory = config.dataDir + "/identity"
            let files = NodeIdentity.files(in: directory)
            if !FileManager.default.fileExists(atPath: files.certificate) {
                try ca.issue(node: config.name, cluster: "local").write(to: directory)
            }
            config.identity.certificate = files.certificate
            config.identity.key = files.key
            config.identity.signingKey = files.signingKey
            config.identity.ca = files.ca
            configs.append(config)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: base.logLevel) ?? .info
            return handler
        }
        let first = try await PlexusNode(configuration: configs[0], logger: logger(configs[0]))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await first.run() }
            guard let seed = await first.waitUntilMeshListening() else { throw CLIError("the first node did not start") }
            var nodes = [first]
            for var config in configs.dropFirst() {
                config.mesh.seeds = [seed]
                let node = try await PlexusNode(configuration: config, logger: logger(config))
                nodes.append(node)
                group.addTask { try await node.run() }
            }
            var urls: [String] = []
            for (i, (node, config)) in zip(nodes, configs).enumerated() {
                // Each stream yields once; the first node's mesh address was read above.
                guard let port = await node.waitUntilListening(), let mesh = i == 0 ? seed : await node.waitUntilMeshListening() else { continue }
                urls.append("http://\(config.http.host):\(port)")
                print("\(config.name)  \(urls.last!)  mesh \(mesh)  data \(config.dataDir)")
            }
            print("\nmembers: curl -s \(urls.first ?? "")/v1/mesh    Ctrl-C stops all nodes.")
            fflush(nil)
            try await group.waitForAll()
        }
    }

    private func logger(_ config: NodeConfiguration) -> Logger {
        var logger = Logger(label: "plexus")
        logger[metadataKey: "plexus.node"] = .string(config.name)
        return logger
    }

    static func loadOrCreateCA(directory: String, organisation: String) throws -> OrganisationCA {
        if FileManager.default.fileExists(atPath: directory + "/ca.key") { return try OrganisationCA.load(from: directory) }
        let ca = try OrganisationCA.create(organisation: organisation)
        try ca.write(to: directory)
        return ca
    }
}
