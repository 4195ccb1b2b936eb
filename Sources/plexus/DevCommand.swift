import ArgumentParser
import Foundation
import PlexusNode
import PlexusPostgres

/// `plexus dev`: one node with embedded defaults, nothing to install or configure.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run one node with embedded defaults (HTTP + WebSocket on 127.0.0.1:7700, data under ./.plexus)."
    )

    @Option(name: .long, help: "HTTP/WebSocket port (0 picks a free one).")
    var httpPort: Int = 7700

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Directory for the message log and other state.")
    var dataDir: String = "./.plexus"

    @Option(name: .long, help: "This node's name (stamped into each message's hops).")
    var name: String = "dev"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Peer-link (mesh) port (0 picks a free one).")
    var meshPort: Int = 7800

    @Option(name: .long, help: "Bridge this local Redis (redis://[user:pass@]host:port/db): ingest from list MESSAGES, publish each delivered message on the channel named after its topic.")
    var redis: String?

    @Option(name: .long, help: "Bridge this local NATS (nats://host:4222): ingest from subject MESSAGES, publish each delivered message to subject = its topic.")
    var nats: String?

    @Option(name: .long, help: "Log to this PostgreSQL (postgres://user:pass@host:5432/db) instead of SQLite; a local spool takes messages while it is down.")
    var postgres: String?

    @Option(name: .long, help: "Run a small local mesh of this many nodes in one process (ports count up from --http-port and --mesh-port).")
    var nodes: Int = 1

    func run() async throws {
        var config = NodeConfiguration()
        config.http.port = httpPort
        config.http.host = host
        config.dataDir = dataDir
        config.name = name
        config.logLevel = logLevel
        config.mesh.port = meshPort
        config.mesh.host = host
        if let redis {
            var edge = RedisEdgeConfiguration(url: redis)
            edge.egress = [.everyTopicToItsChannel()]
            config.edges.redis = edge
        }
        if let nats { config.edges.nats = NATSEdgeConfiguration(servers: [nats]) }
        if let postgres {
            config.store.kind = .postgres
            var store = PostgresStoreConfiguration(url: postgres)
            store.spoolPath = ""  // set to <data_dir>/postgres-spool.sqlite when the node opens it
            config.store.postgres = store
        }
        if nodes > 1 {
            try await DevMesh(base: config, count: nodes).run()
            return
        }
        let host = host
        let frozen = config
        try await NodeRunner.run(config) { port in
            let base = "http://\(host):\(port)"
            print("""
            plexus node '\(frozen.name)' is listening on \(base) (WebSocket ws://\(host):\(port)), log at \(frozen.store.kind == .postgres ? frozen.store.postgres?.redactedURL ?? "" : frozen.databasePath)

              send:   curl -s -X POST \(base)/v1/messages -H 'content-type: application/json' \\
                        -d '{"topic": "agents.alpha.events", "source_subject_id": "alpha", "data": {"hello": "world"}}'
              query:  curl -s '\(base)/v1/messages?topic=agents.>&limit=10'
              watch:  swift run plexus tail --url \(base) --topic 'agents.>'

            Ctrl-C stops the node gracefully.
            """)
            fflush(nil)
        }
    }
}
