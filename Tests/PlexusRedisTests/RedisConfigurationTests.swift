import Testing
@testable import PlexusRedis

@Suite struct RedisConfigurationTests {
    @Test func aFullURL() throws {
        let configuration = try RedisConfiguration(url: "redis://edge:s3cret@redis.internal:6380/4")
        #expect(configuration.host == "redis.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.username == "edge")
        #expect(configuration.password == "s3cret")
        #expect(configuration.database == 4)
        #expect(configuration.endpoint == "redis.internal:6380")
    }

    @Test func defaultsForPortAndDatabase() throws {
        for url in ["redis://localhost", "redis://localhost/", "REDIS://localhost"] {
            let configuration = try RedisConfiguration(url: url)
            #expect(configuration.host == "localhost")
            #expect(configuration.port == 6379)
            #expect(configuration.database == 0)
            #expect(configuration.username == nil && configuration.password == nil)
        }
    }

    @Test func passwordOnlyAndPercentEncoding() throws {
        let configuration = try RedisConfiguration(url: "redis://:p%40ss%3Aword@10.0.0.5:7000/2")
        #expect(configuration.username == nil)
        #expect(configuration.password == "p@ss:word")
        #expect(configuration.host == "10.0.0.5")
        #expect(configuration.port == 7000)
        #expect(configuration.database == 2)
    }

    @Test func ipv6Hosts() throws {
        let configuration = try RedisConfiguration(url: "redis://[::1]:6390/1")
        #expect(configuration.host == "::1")
        #expect(configuration.port == 6390)
        #expect(configuration.endpoint == "[::1]:6390")
        #expect(try RedisConfiguration(url: "redis://[fe80::1]").port == 6379)
    }

    @Test(arguments: [
        ("localhost:6379", "no scheme"),
        ("http://localhost", "scheme 'http'"),
        ("rediss://localhost", "TLS"),
        ("redis://", "host is missing"),
        ("redis://:6379", "host is missing"),
        ("redis://localhost:", "port ''"),
        ("redis://localhost:abc", "port 'abc'"),
        ("redis://localhost:0", "port '0'"),
        ("redis://localhost:70000", "port '70000'"),
        ("redis://localhost:+80", "port '+80'"),
        ("redis://localhost/db1", "database '/db1'"),
        ("redis://localhost/-1", "database '/-1'"),
        ("redis://localhost/1/2", "database '/1/2'"),
        ("redis://user@localhost", "need a ':'"),
        ("redis://user:@localhost", "password after ':' is empty"),
        ("redis://:%zz@localhost", "password has invalid percent-encoding"),
        ("redis://localhost?db=1", "query"),
        ("redis://[::1", "no ']'"),
        ("redis://[::1]x", "after the IPv6 host"),
    ])
    func badURLsNameTheBadPart(url: String, expected: String) {
        #expect {
            _ = try RedisConfiguration(url: url)
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.code == .invalidURL && error.message.contains(expected) && error.message.contains("invalid Redis URL")
        }
    }

    @Test func errorsNeverEchoThePassword() {
        do {
            _ = try RedisConfiguration(url: "redis://:hunter2@localhost:bad")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidURL)
            #expect(!error.message.contains("hunter2"))
        }
    }

    @Test func descriptionRedactsThePassword() throws {
        let configuration = try RedisConfiguration(url: "redis://edge:hunter2@h:1/3")
        #expect(configuration.description == "redis://edge:***@h:1/3")
        #expect(!"\(configuration)".contains("hunter2"))
    }

    @Test func validationNamesTheBadSetting() {
        func message(_ configuration: RedisConfiguration) -> String? {
            do {
                try configuration.validate()
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message(RedisConfiguration()) == nil)
        #expect(message(RedisConfiguration(port: 0))?.contains("port 0") == true)
        #expect(message(RedisConfiguration(database: -1))?.contains("database -1") == true)
        #expect(message(RedisConfiguration(username: "u"))?.contains("without a password") == true)
        #expect(message(RedisConfiguration(commandTimeout: .zero))?.contains("commandTimeout") == true)
        #expect(message(RedisConfiguration(connectTimeout: .seconds(-1)))?.contains("connectTimeout") == true)
        #expect(message(RedisConfiguration(reconnectBackoffMinimum: .seconds(2), reconnectBackoffMaximum: .seconds(1)))?
            .contains("reconnectBackoffMaximum") == true)
    }

    @Test func anInvalidConfigurationIsRejectedBeforeAnyThreadStarts() {
        #expect(throws: RedisError.self) {
            _ = try RedisConnection(configuration: RedisConfiguration(host: ""))
        }
    }
}
