import Testing
@testable import PlexusRedis

@Suite struct RedisAuthTests {
    @Test func theRightPasswordFromAURL() async throws {
        let server = try await RedisServerProcess.start(password: "secret")
        defer { server.stop() }
        let configuration = try RedisConfiguration(url: "redis://:secret@127.0.0.1:\(server.port)/0")
        let redis = try await RedisConnection.connect(configuration: configuration)
        try await redis.ping()
        #expect(try await redis.rpush("l", [[1]]) == 1)
        await redis.close()
    }

    @Test func anACLUserAndPassword() async throws {
        let server = try await RedisServerProcess.start(password: "secret")
        defer { server.stop() }
        let configuration = try RedisConfiguration(url: "redis://default:secret@127.0.0.1:\(server.port)")
        let redis = try await RedisConnection.connect(configuration: configuration)
        try await redis.ping()
        await redis.close()
    }

    @Test func aWrongPasswordIsAClearAuthError() async throws {
        let server = try await RedisServerProcess.start(password: "secret")
        defer { server.stop() }
        var configuration = server.configuration()
        configuration.password = "wrong-one"
        let error = await redisError { _ = try await RedisConnection.connect(configuration: configuration) }
        #expect(error?.code == .authFailed)
        #expect(error?.message.contains("127.0.0.1:\(server.port)") == true)
        #expect(error?.message.contains("AUTH") == true)
        #expect(error?.message.contains("wrong-one") == false)
    }

    @Test func noPasswordForAPasswordServerIsAnAuthError() async throws {
        let server = try await RedisServerProcess.start(password: "secret")
        defer { server.stop() }
        var configuration = server.configuration()
        configuration.password = nil
        let error = await redisError { _ = try await RedisConnection.connect(configuration: configuration) }
        #expect(error?.code == .authFailed)
        #expect(error?.message.contains("requires a password") == true)
    }

    @Test func selectIsolatesDatabases() async throws {
        let server = try await RedisServerProcess.start(password: "secret")
        defer { server.stop() }
        let one = try await RedisConnection.connect(configuration: server.configuration(database: 1))
        let two = try await RedisConnection.connect(configuration: server.configuration(database: 2))
        try await one.rpush("shared-name", [[1]])
        #expect(try await one.llen("shared-name") == 1)
        #expect(try await two.llen("shared-name") == 0)
        try await two.rpush("shared-name", [[2], [3]])
        #expect(try await one.lrange("shared-name") == [[1]])
        #expect(try await two.lrange("shared-name") == [[2], [3]])
        await one.close()
        await two.close()
    }

    @Test func aDatabaseOutOfRangeIsAServerError() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let error = await redisError {
            _ = try await RedisConnection.connect(configuration: server.configuration(database: 100_000))
        }
        guard case .serverError(let message)? = error?.code else {
            Issue.record("expected a server error, got \(String(describing: error))")
            return
        }
        #expect(message.contains("out of range"))
        #expect(error?.message.contains("SELECT 100000") == true)
    }
}
