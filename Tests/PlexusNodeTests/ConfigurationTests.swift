import Foundation
import PlexusNode
import Testing

@Suite struct ConfigurationTests {
    @Test func completeFileLoads() throws {
        let config = try NodeConfiguration.load(yaml: """
        node:
          name: edge-1
        http:
          host: 0.0.0.0
          port: 7800
        data_dir: /var/lib/plexus
        limits:
          max_body_bytes: 2097152
          max_depth: 32
          max_batch: 500
        store:
          kind: sqlite
          synchronous: normal
        stream:
          client_queue: 100
        log_level: debug
        """)
        #expect(config.name == "edge-1")
        #expect(config.http.host == "0.0.0.0")
        #expect(config.http.port == 7800)
        #expect(config.dataDir == "/var/lib/plexus")
        #expect(config.limits.maxBodyBytes == 2_097_152)
        #expect(config.limits.maxDepth == 32)
        #expect(config.limits.maxBatch == 500)
        #expect(config.store.synchronous == .normal)
        #expect(config.stream.clientQueue == 100)
        #expect(config.logLevel == "debug")
    }

    @Test func postgresStoreLoads() throws {
        let config = try NodeConfiguration.load(yaml: """
            store:
              kind: postgres
              url: postgres://plexus:secret@db.internal:5432/audit?sslmode=require
              schema: plexus_eu1
              partitioning: native
              retention_days: 90
              partitions_ahead: 7
              max_batch_rows: 5000
              spool: true
              spool_limit: 200000
            """)
        #expect(config.store.kind == .postgres)
        let postgres = try #require(config.store.postgres)
        #expect(postgres.schema == "plexus_eu1")
        #expect(postgres.partitioning == .native)
        #expect(postgres.retentionDays == 90)
        #expect(postgres.partitionsAhead == 7)
        #expect(postgres.maxBatchRows == 5_000)
        #expect(postgres.spoolPath != nil)
        #expect(postgres.spoolLimit == 200_000)
        #expect(postgres.redactedURL == "postgres://plexus:***@db.internal:5432/audit?sslmode=require")
        let unspooled = try NodeConfiguration.load(yaml: "store:\n  kind: postgres\n  url: postgres://u@h/db\n  spool: false\n")
        #expect(unspooled.store.postgres?.spoolPath == nil)
    }

    @Test func emptyFileGivesDefaults() throws {
        #expect(try NodeConfiguration.load(yaml: "") == NodeConfiguration())
    }

    @Test(arguments: [
        ("http:\n  port: 7700\n  prot: 1\n", "http.prot", 3),
        ("nodes:\n  name: x\n", "nodes", 1),
        ("http:\n  port: seventy\n", "http.port", 2),
        ("http:\n  port: 70000\n", "http.port", nil),
        ("store:\n  kind: oracle\n", "store.kind", 2),
        ("store:\n  kind: postgres\n", "store.url", nil),
        ("store:\n  url: postgres://u@h/db\n", "store.url", 2),
        ("store:\n  schema: x\n", "store.schema", 2),
        ("store:\n  kind: postgres\n  url: postgres://u@h/db\n  partitioning: weekly\n", "store.partitioning", 4),
        ("store:\n  kind: postgres\n  url: mysql://u@h/db\n", "store", nil),
        ("log_level: loud\n", "log_level", 1),
        ("limits: 5\n", "limits", 1),
        ("http: [1, 2\n", "(document)", nil),
    ] as [(String, String, Int?)])
    func badFilesNameKeyAndLine(_ yaml: String, _ key: String, _ line: Int?) {
        do {
            _ = try NodeConfiguration.load(yaml: yaml)
            Issue.record("accepted a bad file")
        } catch {
            #expect(error.key == key)
            if let line { #expect(error.line == line) }
            #expect(error.description.contains(key))
        }
    }

    @Test func cliRejectsBadConfigWithKeyAndLine() async throws {
        let dir = TestNode.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/node.yaml"
        try "http:\n  port: 7700\n  hots: x\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await CLITests().run(["node", "run", "--config", path])
        #expect(result.status != 0)
        #expect(result.err.contains("http.hots"))
        #expect(result.err.contains("line 3"))
    }
}

@Suite struct NodeStartupTests {
    /// A node that cannot bind its port fails to run, and nobody waits forever for it to listen.
    @Test func portInUseEndsTheWait() async throws {
        let first = try await TestNode.start()
        defer { Task { try await first.stop() } }
        await #expect(throws: (any Error).self) {
            _ = try await TestNode.start { $0.http.port = first.port }
        }
    }
}
