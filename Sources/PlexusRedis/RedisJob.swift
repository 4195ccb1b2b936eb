/// One unit of work queued for a connection's thread, with the continuation that gets its result.
struct RedisJob: Sendable {
    enum Work: Sendable {
        /// Make sure the link is up, connecting now even inside a backoff wait.
        case connect
        /// Send the commands in order and read every reply. `extraTimeout` lengthens the socket
        /// timeout for commands that block on the server (BLMOVE).
        case commands([[RedisArgument]], extraTimeout: Duration)
    }

    let work: Work
    let continuation: CheckedContinuation<[RedisReply], any Error>

    func complete(_ result: Result<[RedisReply], RedisError>) {
        continuation.resume(with: result.mapError { $0 as any Error })
    }
}
