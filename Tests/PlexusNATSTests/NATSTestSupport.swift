import PlexusCore
import Foundation
import NIOCore
import Testing
@testable import PlexusNATS


struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `body`, failing with `TestTimeout` if it has not finished after `seconds`. The bound
/// only limits waiting on a loaded machine; no test asserts on how long anything took.
func withTimeout<T: Sendable>(
    _ seconds: Double = 20, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TestTimeout(what: what)
        }
        let result = try await group.next()!
        group.cancelAll()
        return result
    }
}

/// Polls `condition` until it holds (bounded): for states the client reaches on its own, such
/// as reconnecting after the server is killed.
func waitUntil(_ what: String, seconds: Double = 20, _ condition: @Sendable () async -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !(await condition()) {
        guard ContinuousClock.now < deadline else { throw TestTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// The next `count` messages of a subscription (bounded wait).
func next(_ count: Int, from subscription: NATSSubscription, seconds: Double = 20) async throws -> [NATSMessage] {
    try await withTimeout(seconds, "\(count) messages on \(subscription.subject)") {
        var messages: [NATSMessage] = []
        for await message in subscription {
            messages.append(message)
            if messages.count == count { break }
        }
        return messages
    }
}

extension ByteBuffer {
    var text: String { String(buffer: self) }
}

func bytes(_ string: String) -> ByteBuffer { ByteBuffer(string: string) }
