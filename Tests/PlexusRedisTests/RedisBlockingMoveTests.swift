import Testing
@testable import PlexusRedis

@Suite struct RedisBlockingMoveTests {
    @Test func aTimeoutReturnsNil() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        // The command timeout is shorter than the block: the block time must extend it.
        let redis = try await RedisConnection.connect(configuration: server.configuration(commandTimeout: .seconds(1)))
        let started = ContinuousClock.now
        let moved = try await redis.blmove(source: "empty", destination: "processing", timeout: .seconds(2))
        #expect(moved == nil)
        #expect(ContinuousClock.now - started >= .milliseconds(1900))
        #expect(try await redis.llen("processing") == 0)
        #expect(redis.status.state == .connected)
        await redis.close()
    }

    @Test func itMovesTheTailOfOneListToTheHeadOfAnother() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let redis = try await RedisConnection.connect(configuration: server.configuration())
        try await redis.rpush("inbox", [[1], [2], [3]])
        try await redis.rpush("processing", [[9]])
        #expect(try await redis.blmove(source: "inbox", destination: "processing", timeout: .seconds(1)) == [3])
        #expect(try await redis.lrange("inbox") == [[1], [2]])
        #expect(try await redis.lrange("processing") == [[3], [9]])
        await redis.close()
    }

    @Test func aBlockedMoveWakesWhenAnotherConnectionPushes() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let ingest = try await RedisConnection.connect(configuration: server.configuration())
        let egress = try await RedisConnection.connect(configuration: server.configuration())
        let waiter = Task { try await ingest.blmove(source: "inbox", destination: "processing", timeout: .seconds(20)) }
        // Push only once the ingest connection is actually blocked on the server.
        let blocked = await eventually {
            guard case .bulk(let info)? = try? await egress.command("INFO", "clients") else { return false }
            return String(decoding: info, as: UTF8.self).contains("blocked_clients:1")
        }
        #expect(blocked)
        try await egress.rpush("inbox", [Array("payload\r\n\0".utf8)])
        #expect(try await waiter.value == Array("payload\r\n\0".utf8))
        #expect(try await egress.lrange("processing") == [Array("payload\r\n\0".utf8)])
        #expect(try await egress.llen("inbox") == 0)
        await ingest.close()
        await egress.close()
    }

    @Test func serversWithoutBLMOVEGetBRPOPLPUSH() async throws {
        // Renaming BLMOVE away makes Redis 7 answer like Redis < 6.2: "ERR unknown command".
        let server = try await RedisServerProcess.start(extraArguments: ["--rename-command", "BLMOVE", ""])
        defer { server.stop() }
        let redis = try await RedisConnection.connect(configuration: server.configuration())
        try await redis.rpush("inbox", [[1], [2]])
        #expect(try await redis.blmove(source: "inbox", destination: "processing", timeout: .seconds(1)) == [2])
        #expect(redis.prefersBRPOPLPUSH)
        #expect(try await redis.blmove(source: "inbox", destination: "processing", timeout: .seconds(1)) == [1])
        #expect(try await redis.blmove(source: "inbox", destination: "processing", timeout: .milliseconds(200)) == nil)
        #expect(try await redis.lrange("processing") == [[1], [2]])
        await redis.close()
    }
}
