import PlexusCore
import PlexusNode
import Testing

/// The `edges:` section of node.yaml, as documented in docs/configuration.md.
@Suite struct EdgeConfigurationTests {
    @Test func completeEdgesSectionLoads() throws {
        let config = try NodeConfiguration.load(yaml: """
        edges:
          redis:
            url: redis://:secret@127.0.0.1:6379/0
            lists: [MESSAGES, OTHER]
            batch: 100
            dead_letter_suffix: ".bad"
            egress:
              - topics: ["agents.>"]
                list: plexus.out
                channel: "{topic}"
              - topics: [audit]
                list: audit
          nats:
            servers: [nats://127.0.0.1:4222, nats://127.0.0.1:4223]
            user: plexus
            password: secret
            subjects: [MESSAGES]
            queue_group: plexus
            batch: 50
            egress:
              enabled: true
              topics: ["agents.>"]
              jetstream:
                stream: PLEXUS
                create_stream: false
                in_flight: 64
        """)
        let redis = try #require(config.edges.redis)
        #expect(redis.url == "redis://:secret@127.0.0.1:6379/0")
        #expect(redis.lists == ["MESSAGES", "OTHER"])
        #expect(redis.batch == 100)
        #expect(redis.deadLetterList("OTHER") == "OTHER.bad")
        #expect(redis.egress.count == 2)
        #expect(redis.egress[0].matches("agents.a.b") && !redis.egress[0].matches("audit"))
        #expect(redis.egress[0].list?.name(topic: "agents.a") == "plexus.out")
        #expect(redis.egress[0].channel?.name(topic: "agents.a") == "agents.a")
        #expect(redis.egress[1].channel == nil)
        let nats = try #require(config.edges.nats)
        #expect(nats.servers.count == 2 && nats.user == "plexus" && nats.password == "secret")
        #expect(nats.queueGroup == "plexus" && nats.batch == 50)
        #expect(nats.egress.topics.map(\.value) == ["agents.>"])
        #expect(nats.egress.jetStream?.stream == "PLEXUS" && nats.egress.jetStream?.createStream == false && nats.egress.jetStream?.inFlight == 64)
    }

    @Test func defaultsAreTheOriginalShapes() throws {
        let config = try NodeConfiguration.load(yaml: "edges:\n  redis:\n    url: redis://localhost\n  nats:\n    servers: [nats://localhost:4222]\n")
        #expect(config.edges.redis?.lists == ["MESSAGES"])
        #expect(config.edges.redis?.egress.isEmpty == true)
        #expect(config.edges.nats?.subjects == ["MESSAGES"])
        #expect(config.edges.nats?.egress.enabled == true)
        #expect(config.edges.nats?.egress.topics.map(\.value) == [">"])
        #expect(config.edges.nats?.egress.jetStream == nil)
    }

    @Test(arguments: [
        ("edges:\n  redis:\n    lists: [A]\n", "edges.redis.url"),
        ("edges:\n  redis:\n    url: redis://x\n    listz: [A]\n", "edges.redis.listz"),
        ("edges:\n  redis:\n    url: redis://x\n    egress:\n      - topics: [a]\n", "edges.redis.egress[0].topics"),
        ("edges:\n  redis:\n    url: redis://x\n    egress:\n      - topics: [\"a b\"]\n        list: x\n", "edges.redis.egress[0].topics"),
        ("edges:\n  redis:\n    url: redis://x\n    batch: 0\n", "edges"),
        ("edges:\n  nats:\n    subjects: [A]\n", "edges.nats.servers"),
        ("edges:\n  nats:\n    servers: [nats://x]\n    egress:\n      jetstream:\n        stream: S\n", "edges"),
        ("edges:\n  nats:\n    servers: [nats://x]\n    egress:\n      topics: [a]\n      jetstream:\n        stream: \"a.b\"\n", "edges"),
        ("edges:\n  kafka: {}\n", "edges.kafka"),
    ] as [(String, String)])
    func badEdgeSectionsNameTheKey(_ yaml: String, _ key: String) {
        do {
            _ = try NodeConfiguration.load(yaml: yaml)
            Issue.record("accepted a bad edges section: \(yaml)")
        } catch {
            #expect(error.key.hasPrefix(key), "\(error)")
        }
    }
}

extension EdgeConfigurationTests {
    @Test func badServerURLsAreConfigurationErrors() {
        for yaml in ["edges:\n  redis:\n    url: http://x\n", "edges:\n  nats:\n    servers: [\"ftp://x\"]\n"] {
            #expect(throws: ConfigurationError.self) { try NodeConfiguration.load(yaml: yaml) }
        }
    }
}
