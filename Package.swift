// swift-tools-version:6.1
import PackageDescription

// Plexus: a peer-to-peer federated communication mesh. `ls Sources` is the architecture:
// PlexusCore is pure (no I/O), the other targets are shells around it. See docs/architecture.md.
let package = Package(
    name: "plexus",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "plexus", targets: ["plexus"]),
        .executable(name: "plexus-bench", targets: ["plexus-bench"]),
        .library(name: "PlexusCore", targets: ["PlexusCore"]),
        .library(name: "PlexusClient", targets: ["PlexusClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.12.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.11.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.4.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.10.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // Pure core: envelope, JSON, topics, limits, decisions. Imports no NIO, no database, no clock.
        .target(
            name: "PlexusCore",
            dependencies: [
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Deterministic simulator: virtual clock, simulated network, the real mesh core on every node.
        .target(name: "PlexusSim", dependencies: ["PlexusCore"]),
        // Topology and scenario YAML files → PlexusSim models (strict: errors name key and line).
        .target(
            name: "PlexusSimFiles",
            dependencies: ["PlexusCore", "PlexusSim", "PlexusYAML", .product(name: "Yams", package: "Yams")]
        ),
        // The durable message log: `MessageStore` and its SQLite implementation.
        .target(
            name: "PlexusStore",
            dependencies: [
                "PlexusCore",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The message log in PostgreSQL (TimescaleDB when present): COPY batches with group commit,
        // day partitions and retention, and a local SQLite spool while the database is down.
        .target(
            name: "PlexusPostgres",
            dependencies: [
                "PlexusCore", "PlexusStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Node identity: organisation CAs, node certificates binding the Ed25519 registry key, and
        // the certificate-based `RegistryTrust` with foreign organisations' namespaces.
        .target(
            name: "PlexusIdentity",
            dependencies: [
                "PlexusCore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Peer links: mutual TLS 1.3 (ALPN plexus/1) between nodes, the frame codec on the wire,
        // and the driver that feeds the mesh core and carries out its directives.
        .target(
            name: "PlexusPeer",
            dependencies: [
                "PlexusCore", "PlexusIdentity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        // NATS client on SwiftNIO: a pure protocol parser and connection state machine, a thin
        // channel handler, and a client with reconnect, resubscribe, request/reply and JetStream
        // publish acknowledgements. No Swift NATS client exists on this machine.
        .target(
            name: "PlexusNATS",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // hiredis, the Redis C client. The shim header compiles with or without libhiredis-dev, so
        // `swift run plexus dev` works on a machine without it; the Redis edge then reports that
        // this build has no hiredis (see docs/edges.md).
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // Redis through hiredis on dedicated threads (blocking calls never run on an event loop).
        .target(
            name: "PlexusRedis",
            dependencies: [
                "CHiredis",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Edge bridges: the node's local Redis and NATS, in (reliable queue, subjects) and out
        // (log followers with a durable cursor), reported as backbones with health.
        .target(
            name: "PlexusEdge",
            dependencies: [
                "PlexusCore", "PlexusStore", "PlexusAPI", "PlexusNATS", "PlexusRedis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // Outbound webhooks: a persisted delivery queue (SQLite), signed (Standard Webhooks),
        // retried with jittered backoff, sent only to addresses the SSRF guard passed.
        .target(
            name: "PlexusWebhooks",
            dependencies: [
                "PlexusCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Human-in-the-loop sessions: the store (SQLite), the service around the pure session
        // machine (durable schedule of expiries and deliveries), and the channels (webhook, Slack,
        // Teams, SMTP email, mesh, inbox) that reach people.
        .target(
            name: "PlexusSessions",
            dependencies: [
                "PlexusCore", "PlexusWebhooks",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The Swift SDK: messages, the log, the live stream, sessions and sendAndWaitForResponse.
        .target(
            name: "PlexusClient",
            dependencies: [
                "PlexusCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // HTTP + WebSocket API on Hummingbird.
        .target(
            name: "PlexusAPI",
            dependencies: [
                "PlexusCore", "PlexusStore", "PlexusSessions",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ]
        ),
        // Strict YAML reading (unknown keys and bad values name key and line), shared by the node
        // config and the simulator's topology/scenario files.
        .target(
            name: "PlexusYAML",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        // The node shell: configuration, runtime, services.
        .target(
            name: "PlexusNode",
            dependencies: [
                "PlexusCore", "PlexusStore", "PlexusAPI", "PlexusYAML", "PlexusIdentity", "PlexusPeer", "PlexusEdge", "PlexusPostgres", "PlexusWebhooks", "PlexusSessions",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "plexus",
            dependencies: [
                "PlexusCore", "PlexusNode", "PlexusSim", "PlexusSimFiles", "PlexusIdentity", "PlexusPostgres", "PlexusStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]
        ),
        .executableTarget(
            name: "plexus-bench",
            dependencies: [
                "PlexusCore", "PlexusStore", "PlexusNode", "PlexusAPI", "PlexusIdentity", "PlexusEdge", "PlexusNATS", "PlexusRedis", "PlexusPostgres", "PlexusTestSupport",
                "PlexusSessions", .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]
        ),
        // Real servers (redis-server, nats-server) as child processes of tests.
        .target(name: "PlexusTestSupport", path: "Tests/PlexusTestSupport"),
        .testTarget(name: "PlexusCoreTests", dependencies: ["PlexusCore"]),
        .testTarget(name: "PlexusPeerTests", dependencies: ["PlexusPeer", "PlexusCore", "PlexusIdentity", .product(name: "NIOEmbedded", package: "swift-nio"),
                                                          .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "PlexusIdentityTests", dependencies: ["PlexusCore", "PlexusIdentity", .product(name: "X509", package: "swift-certificates")]),
        .testTarget(name: "PlexusSimTests", dependencies: ["PlexusCore", "PlexusSim", "PlexusSimFiles"]),
        .testTarget(name: "PlexusSimFilesTests", dependencies: ["PlexusSimFiles", "PlexusSim", "PlexusCore", "PlexusYAML"]),
        // One suite, two stores: every MessageStore behaviour test runs against SQLite and against
        // a real PostgreSQL the tests start (initdb) themselves.
        .testTarget(name: "PlexusStoreTests", dependencies: ["PlexusCore", "PlexusStore", "PlexusPostgres", "PlexusTestSupport", .product(name: "PostgresNIO", package: "postgres-nio")]),
        .testTarget(name: "PlexusNATSTests", dependencies: ["PlexusNATS", "PlexusCore", "PlexusTestSupport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl")]),
        .testTarget(name: "PlexusEdgeTests", dependencies: ["PlexusEdge", "PlexusCore", "PlexusStore", "PlexusAPI", "PlexusNATS", "PlexusRedis", "PlexusTestSupport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "PlexusWebhooksTests",
            dependencies: [
                "PlexusWebhooks", "PlexusCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "PlexusSessionsTests",
            dependencies: [
                "PlexusSessions", "PlexusCore", "PlexusWebhooks",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "PlexusRedisTests", dependencies: ["PlexusRedis", "PlexusCore", "PlexusTestSupport"]),
        .testTarget(
            name: "PlexusNodeTests",
            dependencies: [
                "PlexusCore", "PlexusStore", "PlexusAPI", "PlexusNode", "plexus", "PlexusIdentity",
                "PlexusNATS", "PlexusRedis", "PlexusTestSupport", "PlexusPostgres", "PlexusSessions", "PlexusClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
