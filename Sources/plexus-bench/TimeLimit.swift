/// Bounds every benchmark step in time: a step that hangs (a lost ack, a client that never gets
/// its last frame) fails with a message naming the step instead of hanging the whole run.
enum TimeLimit {
    static func run<T: Sendable>(
        _ limit: Duration,
        _ what: String,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw BenchError("\(what) did not finish within \(limit)")
            }
            return value
        }
    }
}
