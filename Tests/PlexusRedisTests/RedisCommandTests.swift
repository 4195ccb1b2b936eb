import Testing
@testable import PlexusRedis

/// Round trips against a real redis-server started per test.
@Suite struct RedisCommandTests {
    @Test func everyReplyKind() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let redis = try await RedisConnection.connect(configuration: server.configuration())

        #expect(try await redis.command("SET", "k", "v") == .status("OK"))
        #expect(try await redis.command("GET", "k") == .bulk(Array("v".utf8)))
        #expect(try await redis.command("GET", "missing") == .null)
        #expect(try await redis.command("SET", "empty", "") == .status("OK"))
        #expect(try await redis.command("GET", "empty") == .bulk([]))
        #expect(try await redis.command("INCRBY", "n", 41) == .integer(41))
        #expect(try await redis.command("INCR", "n") == .integer(42))
        #expect(try await redis.command("LRANGE", "nothing", 0, -1) == .array([]))
        #expect(try await redis.command("RPUSH", "l", "a", "b") == .integer(2))
        #expect(try await redis.command("LRANGE", "l", 0, -1) == .array([.bulk([0x61]), .bulk([0x62])]))

        guard case .error(let message) = try await redis.command("NOSUCHCOMMAND", "x") else {
            Issue.record("expected an error reply")
            return
        }
        #expect(message.hasPrefix("ERR unknown command"))

        // Nested arrays with every kind inside, including a nil bulk (Lua false).
        let script = "return {1, {'a', redis.status_reply('FINE')}, redis.error_reply('BAD thing'), false, 'x'}"
        let nested = try await redis.command("EVAL", RedisArgument(script), 0)
        #expect(nested == .array([
            .integer(1),
            .array([.bulk([0x61]), .status("FINE")]),
            .error("BAD thing"),
            .null,
            .bulk([0x78]),
        ]))
        await redis.close()
    }

    @Test func valuesAndKeysAreBinarySafe() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let redis = try await RedisConnection.connect(configuration: server.configuration())
        let value: [UInt8] = [0, 13, 10, 0xFF, 0x24, 0x2A, 0, 13, 10, 13] + Array(0...255)
        let key = RedisArgument([0x6B, 0, 13, 10, 0x6B])

        #expect(try await redis.command(["SET", key, RedisArgument(value)]) == .status("OK"))
        #expect(try await redis.command(["GET", key]) == .bulk(value))

        try await redis.rpush("bin", [value, [], [0]])
        #expect(try await redis.lrange("bin") == [value, [], [0]])
        #expect(try await redis.lrem("bin", count: 1, value: value) == 1)
        #expect(try await redis.lrange("bin") == [[], [0]])
        await redis.close()
    }

    @Test func tenThousandPipelinedPushes() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let redis = try await RedisConnection.connect(configuration: server.configuration())
        let pushes: [[RedisArgument]] = (0..<10_000).map { ["RPUSH", "queue", RedisArgument(Array("item-\($0)".utf8))] }

        let replies = try await redis.pipeline(pushes)
        #expect(replies.count == 10_000)
        #expect(replies.first == .integer(1))
        #expect(replies.last == .integer(10_000))
        #expect(replies == (1...10_000).map { .integer(Int64($0)) })
        #expect(try await redis.llen("queue") == 10_000)
        #expect(try await redis.lrange("queue", start: 9_999, stop: 9_999) == [Array("item-9999".utf8)])
        await redis.close()
    }

    @Test func aPipelineKeepsPerCommandErrorsInPlace() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let redis = try await RedisConnection.connect(configuration: server.configuration())
        try await redis.rpush("l", [[1], [2], [1]])
        let replies = try await redis.pipeline([
            ["SET", "s", "text"],
            ["LREM", "l", 0, RedisArgument([1])],
            ["LREM", "s", 0, "x"],
            ["LLEN", "l"],
        ])
        #expect(replies.count == 4)
        #expect(replies[0] == .status("OK"))
        #expect(replies[1] == .integer(2))
        #expect(replies[2].errorMessage?.hasPrefix("WRONGTYPE") == true)
        #expect(replies[3] == .integer(1))
        #expect(try await redis.pipeline([]) == [])
        await redis.close()
    }

    @Test func typedHelpers() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let redis = try await RedisConnection.connect(configuration: server.configuration())
        try await redis.ping()
        #expect(try await redis.lpush("l", [[1], [2]]) == 2)
        #expect(try await redis.rpush("l", [[3]]) == 3)
        #expect(try await redis.lrange("l") == [[2], [1], [3]])
        #expect(try await redis.llen("l") == 3)
        #expect(try await redis.llen("none") == 0)
        #expect(try await redis.publish(channel: "events", payload: Array("hello".utf8)) == 0)

        _ = try await redis.command("SET", "str", "x")
        let error = await redisError { _ = try await redis.llen("str") }
        guard case .serverError(let message)? = error?.code else {
            Issue.record("expected a server error, got \(String(describing: error))")
            return
        }
        #expect(message.hasPrefix("WRONGTYPE"))
        #expect(error?.message.contains("LLEN failed") == true)
        #expect(error?.message.contains(server.configuration().endpoint) == true)
        // The connection is still usable after an error reply.
        try await redis.ping()
        await redis.close()
    }

    @Test func closedConnectionsRefuseCommands() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let redis = try await RedisConnection.connect(configuration: server.configuration())
        await redis.close()
        await redis.close()
        let error = await redisError { try await redis.ping() }
        #expect(error?.code == .connectionLost)
        #expect(redis.status.state == .closed)
    }
}
