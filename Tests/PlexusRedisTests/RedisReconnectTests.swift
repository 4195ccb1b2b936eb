import PlexusTestSupport
import PlexusCore
import Testing
@testable import PlexusRedis

@Suite struct RedisReconnectTests {
    @Test func aKilledServerFailsCommandsAndTheClientComesBackByItself() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let redis = try await RedisConnection.connect(
            configuration: server.configuration(commandTimeout: .seconds(3)), randomNumberGenerator: SplitMix64(seed: 11)
        )
        try await redis.rpush("l", [[1]])

        server.kill9()
        let started = ContinuousClock.now
        let lost = await redisError { try await redis.ping() }
        #expect(lost?.code == .connectionLost)
        #expect(lost?.message.contains("127.0.0.1:\(server.port)") == true)
        // Later commands fail fast too, while the client retries in the background.
        for _ in 0..<5 {
            let error = await redisError { _ = try await redis.llen("l") }
            #expect(error?.code == .connectionLost)
        }
        #expect(ContinuousClock.now - started < .seconds(3 * 6))
        #expect(await eventually { redis.status.state == .reconnecting && redis.status.consecutiveFailures >= 2 })
        #expect(redis.status.lastError != nil)

        try await server.launch()
        // No commands: the connection's thread reconnects on its own.
        #expect(await eventually { redis.status.state == .connected })
        #expect(redis.status.reconnectCount == 1)
        try await redis.ping()
        // A fresh server process (no persistence): the old list is gone, the link works.
        #expect(try await redis.llen("l") == 0)
        await redis.close()
    }

    @Test func aCommandTimeoutDropsTheConnectionAndTheNextCommandReconnects() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let redis = try await RedisConnection.connect(configuration: server.configuration(commandTimeout: .milliseconds(300)))
        // BLPOP through the plain path gets no extra time, so the socket timeout fires first.
        let error = await redisError { _ = try await redis.command("BLPOP", "empty", 5) }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("BLPOP") == true)
        #expect(await eventually { (try? await redis.ping()) != nil })
        #expect(redis.status.state == .connected)
        #expect(redis.status.reconnectCount == 1)
        await redis.close()
    }

    @Test func nothingListeningIsAConnectFailureNamingTheEndpoint() async throws {
        let port = try FreePort.next()
        let configuration = RedisConfiguration(host: "127.0.0.1", port: port, connectTimeout: .seconds(2))
        let error = await redisError { _ = try await RedisConnection.connect(configuration: configuration) }
        #expect(error?.code == .connectFailed)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)

        // A connection made anyway keeps trying in the background and reports why it cannot.
        let redis = try RedisConnection(configuration: configuration, randomNumberGenerator: SplitMix64(seed: 1))
        #expect(await eventually { redis.status.consecutiveFailures >= 2 })
        #expect(redis.status.state == .connecting)
        #expect(redis.status.lastError?.code == .connectFailed)
        await redis.close()
        #expect(redis.status.state == .closed)
    }

    @Test func theFirstConnectionComesUpWhenTheServerStartsLate() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        server.kill9()
        let redis = try RedisConnection(configuration: server.configuration())
        #expect(await eventually { redis.status.lastError != nil })
        try await server.launch()
        #expect(await eventually { redis.status.state == .connected })
        #expect(redis.status.reconnectCount == 0)
        try await redis.ping()
        await redis.close()
    }
}
