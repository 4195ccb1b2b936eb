import PlexusRedis

/// Polls `condition` until it holds or `timeout` passes; the timeout only bounds the wait.
func eventually(within timeout: Duration = .seconds(20), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// The `RedisError` a throwing call threw, or nil if it did not throw one.
func redisError(_ body: () async throws -> Void) async -> RedisError? {
    do {
        try await body()
        return nil
    } catch let error as RedisError {
        return error
    } catch {
        return nil
    }
}
