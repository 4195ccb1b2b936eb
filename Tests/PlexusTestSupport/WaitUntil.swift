/// Polls `condition` until it holds; throws after `timeout`. The timeout only bounds waiting (a
/// loaded 2-core machine can be slow); it is never what a test asserts.
public func waitUntil(_ what: String, within timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        if ContinuousClock.now > deadline { throw ServerProcess.Failure("timed out after \(timeout) waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
