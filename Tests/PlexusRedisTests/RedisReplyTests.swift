import Testing
@testable import PlexusRedis

@Suite struct RedisReplyTests {
    @Test func accessors() {
        #expect(RedisReply.bulk([0x61, 0x00]).bytes == [0x61, 0x00])
        #expect(RedisReply.bulk(Array("hé".utf8)).string == "hé")
        #expect(RedisReply.status("OK").string == "OK")
        #expect(RedisReply.error("ERR x").errorMessage == "ERR x")
        #expect(RedisReply.integer(7).integer == 7)
        #expect(RedisReply.array([.null]).array == [.null])
        #expect(RedisReply.null.isNull)
        #expect(RedisReply.null.bytes == nil && RedisReply.integer(1).string == nil)
    }

    @Test func argumentsFromLiteralsAndBytes() {
        let arguments: [RedisArgument] = ["SET", 42, RedisArgument([0, 13, 10])]
        #expect(arguments.map(\.bytes) == [Array("SET".utf8), Array("42".utf8), [0, 13, 10]])
    }

    @Test func blockingTimeoutsAreDecimalSeconds() {
        #expect(RedisConnection.decimalSeconds(.seconds(1)) == "1.000")
        #expect(RedisConnection.decimalSeconds(.milliseconds(1500)) == "1.500")
        #expect(RedisConnection.decimalSeconds(.milliseconds(5)) == "0.005")
    }

    @Test func buildAvailability() {
        #expect(RedisError.hiredisMissing().message ==
            "this build of plexus has no Redis support: install libhiredis-dev (apt-get install libhiredis-dev) and rebuild")
        #expect(RedisError.hiredisMissing().code == .hiredisMissing)
        #expect(RedisClient.isAvailable == (RedisClient.hiredisVersion != nil))
    }

    /// Runs only in a build without hiredis (e.g. -Xcc -DPLEXUS_FORCE_NO_HIREDIS).
    @Test(.enabled(if: !RedisClient.isAvailable))
    func withoutHiredisConnectingSaysHowToFixIt() async {
        #expect(throws: RedisError.hiredisMissing()) { try RedisClient.requireAvailable() }
        let error = await redisError {
            _ = try await RedisConnection.connect(configuration: RedisConfiguration(port: 1))
        }
        #expect(error?.code == .hiredisMissing)
        #expect(error?.message == RedisError.hiredisMissingMessage)

        let connection = try? RedisConnection(configuration: RedisConfiguration(port: 1))
        let commandError = await redisError { _ = try await connection?.command("PING") }
        #expect(commandError?.code == .hiredisMissing)
        #expect(connection?.status.state == .unavailable)
        await connection?.close()
    }
}
