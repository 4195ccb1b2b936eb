import Logging
import NIOCore
import PostgresNIO

/// Runs one `COPY ... FROM STDIN` on the connection's own event loop, so that a server going
/// away mid-COPY cannot crash the node.
///
/// postgres-nio's copy writer asserts (`preconditionFailure`) that the connection is still in
/// copy mode when data, CopyDone or CopyFail is sent; between the channel closing and its handler
/// being removed (one event-loop tick) it is not, and the process traps. Seen when PostgreSQL was
/// killed during ingest. On the event loop, "is the channel still active?" and the writer's
/// call into the handler happen in one loop job (postgres-nio's async functions run on their
/// caller's executor), so the check is exact. When the channel is gone, this waits until its
/// handler is removed (the writer then fails cleanly with "connection closed") before giving up.
actor PostgresCopier {
    let connection: PostgresConnection

    init(_ connection: PostgresConnection) { self.connection = connection }

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        connection.eventLoop.executor.asUnownedSerialExecutor()
    }

    func copy(into table: String, columns: [String], data: ByteBuffer, logger: Logger) async throws {
        try PostgresConnectionLost.check(connection)
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            try await self.stillOpen()
            try await writer.write(data)
            // The writer's CopyDone follows in this same loop job.
            try await self.stillOpen()
        }
    }

    private func stillOpen() async throws {
        guard connection.isClosed else { return }
        try? await connection.closeFuture.get()
        // Handlers are removed in a loop job scheduled after the close; two hops pass it.
        for _ in 0..<2 { try? await connection.eventLoop.submit {}.get() }
        throw PostgresConnectionLost()
    }
}
