import Foundation
import PlexusCore
import PlexusWebhooks
import Testing

/// Resolves names from a fixed table, so a test can make a name point at loopback without DNS.
struct FixedResolver: WebhookHostResolver {
    var table: [String: [OutboundAddress]]

    func resolve(host: String) async throws -> [OutboundAddress] {
        guard let addresses = table[host] else { throw WebhookSendError(.resolve, "cannot resolve \(host): not in the test table") }
        return addresses
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds or `timeout` passes (then throws). Bounded, and never a
/// fixed sleep followed by an assertion; generous, for a CI machine running every suite at once.
func eventually(
    _ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    if try await condition() { return }
    throw TimedOut(what: what)
}

/// Runs `body` while `dispatcher.run()` runs beside it; cancels the run loop and waits for it
/// afterwards, so no task outlives the test.
func whileRunning<T: Sendable>(_ dispatcher: WebhookDispatcher, _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await dispatcher.run() }
        do {
            let result = try await body()
            group.cancelAll()
            try await group.waitForAll()
            return result
        } catch {
            group.cancelAll()
            try? await group.waitForAll()
            // Closed here too: a test that throws never reaches its own close, and sqlite-nio
            // asserts (crashing the whole test run) on a connection never closed.
            await Task { await dispatcher.close() }.value
            throw error
        }
    }
}

func temporaryDatabasePath(_ name: String = #function) -> String {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("plexus-webhooks-\(UUID().uuidString)", isDirectory: true)
    return directory.appendingPathComponent("webhooks.sqlite").path
}

func removeDatabase(at path: String) {
    try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
}
